import Foundation
import LedgerFormat
import LedgerStore
import LoyaltyCore
import NightlySync
import PointsCache
import TestSupport
import Testing

@Suite("Nightly sync through a real ledger file")
struct NightlySyncTests {
  /// Entries the reducer refuses (an overflowing balance) are skipped by the cache as by the
  /// fold: the sync goes on, says so, and the balances still agree.
  @Test func anOverflowingEntryInTheLedgerIsSkippedByEveryReader() async throws {
    let f = try ChainFixture(terminals: 2)
    for t in f.terminals { try await f.sync(t, at: ChainFixture.start.adding(seconds: 60)) }
    let card = ChainFixture.cards[0]
    _ = try f.cache("T01").enroll(card: card, referrer: nil, context: f.context("T01", 0))
    try await f.sync("T01", at: ChainFixture.start.adding(days: 1))
    let account = Identities.accountID(enrolledWith: card)
    let at = ChainFixture.start.adding(days: 2)
    var adjustments: [LedgerEntry] = []
    for (i, points) in [5_000_000_000_000_000_000, 5_000_000_000_000_000_000, Int64.min].enumerated() {
      adjustments.append(
        LedgerEntry(kind: .adjustment, id: "adj-\(i)", at: at, terminal: "HQ", account: account, points: points))
    }
    // HQ's admission refuses the batch whole; written past it (HQ's key, write access), every
    // reader skips the overflowing ones alike.
    #expect(throws: LedgerError.self) { try f.ledger.append(adjustments, signer: "HQ", key: f.hq, at: at) }
    try f.ledger.withExclusiveLock { locked in
      var state = try locked.audited(repairing: false).state
      _ = try locked.append(adjustments, after: &state, signer: "HQ", key: f.hq, at: at)
    }
    let summary = try await f.sync("T02", at: at.adding(seconds: 60))
    #expect(summary.excluded.count == 2, "\(summary.excluded)")
    try await f.sync("T01", at: at.adding(seconds: 120))
    let (fold, _) = try LedgerFold.fold(path: f.ledger.path)
    #expect(fold.accounts[account]?.balance == 5_000_000_000_000_000_000)
    #expect(try f.balances("T02")[account] == 5_000_000_000_000_000_000)
    #expect(try f.balances("T01")[account] == 5_000_000_000_000_000_000)
    #expect(try f.cache("T02").consistencyProblems().isEmpty)
  }

  @Test func twoTerminalsEarningOfflineConverge() async throws {
    let f = try ChainFixture(terminals: 2)
    for t in f.terminals { try await f.sync(t, at: ChainFixture.start.adding(seconds: 60)) }
    let alice = ChainFixture.cards[0]
    let bob = ChainFixture.cards[1]
    // The same card enrolled at both terminals offline; Bob referred by Alice at T02.
    for (i, t) in f.terminals.enumerated() {
      let cache = try f.cache(t)
      _ = try cache.enroll(card: alice, referrer: nil, context: f.context(t, 0))
      _ = try cache.earn(
        card: alice, lines: [PurchaseLine(category: "other", amount: 1000 * Int64(i + 1))], receipt: "\(t)-R1",
        context: f.context(t, 60))
    }
    let t2 = try f.cache("T02")
    _ = try t2.enroll(card: bob, referrer: alice, context: f.context("T02", 120))
    _ = try t2.earn(
      card: bob, lines: [PurchaseLine(category: "other", amount: 5000)], receipt: "T02-R2",
      context: f.context("T02", 180))

    let first = try await f.sync("T01", at: ChainFixture.start.adding(days: 2))
    let second = try await f.sync("T02", at: ChainFixture.start.adding(days: 2).adding(seconds: 60))
    try await f.sync("T01", at: ChainFixture.start.adding(days: 2).adding(seconds: 120))
    #expect(first.sent == 2 && second.sent == 5, "T02's enrolment of Alice collapsed into T01's")
    #expect(try f.balances("T01") == f.balances("T02"))
    let aliceAccount = Identities.accountID(enrolledWith: alice)
    #expect(try f.balances("T01")[aliceAccount] == 10 + 20 + 200)
    #expect(try f.cache("T01").outbox().isEmpty && f.cache("T02").outbox().isEmpty)
    #expect(try f.cache("T01").consistencyProblems().isEmpty)
    let summary = try LedgerVerifier().verify(path: f.ledger.path)
    #expect(summary.entries == 2 + 1 + 7)  // setup (2 terminals + program) + T01's 2 + T02's 5
  }

  @Test func aTornAppendIsRepairedAndNothingIsLostOrDoubled() async throws {
    let f = try ChainFixture(terminals: 2)
    let t1 = try f.cache("T01")
    try await f.sync("T01", at: ChainFixture.start.adding(seconds: 60))
    _ = try t1.enroll(card: ChainFixture.cards[0], referrer: nil, context: f.context("T01", 0))
    _ = try t1.earn(
      card: ChainFixture.cards[0], lines: [PurchaseLine(category: "other", amount: 4200)], receipt: "R1",
      context: f.context("T01", 60))
    // A sync killed mid-write leaves half a batch: simulate it by appending a cut copy of one.
    let good = Array(FileManager.default.contents(atPath: f.ledger.path)!)
    let before = f.directory.appendingPathComponent("T01-before.db").path
    try t1.backup(to: before)
    try await f.sync("T01", at: ChainFixture.start.adding(days: 2))
    let full = Array(FileManager.default.contents(atPath: f.ledger.path)!)
    let torn = Array(full[..<(good.count + (full.count - good.count) / 2)])
    try Data(torn).write(to: URL(fileURLWithPath: f.ledger.path))
    #expect(throws: LedgerError.self) { try LedgerVerifier().verify(path: f.ledger.path) }
    // The cache never saw that sync commit: go on from its state before the sync.
    let replay = try PointsCache(path: before)
    let summary = try await NightlySync(
      cache: replay, connection: LocalLedgerConnection(ledger: f.ledger), terminal: "T01",
      key: LedgerKey.load(from: f.keyPath("T01"))
    )
    .run(at: ChainFixture.start.adding(days: 2).adding(seconds: 5))
    #expect(summary.repairedBytes > 0 && summary.sent == 2)
    let verified = try LedgerVerifier().verify(path: f.ledger.path)
    #expect(verified.entries == 3 + 2)
    try await f.sync("T02", at: ChainFixture.start.adding(days: 3))
    #expect(try f.balances("T02")[Identities.accountID(enrolledWith: ChainFixture.cards[0])] == 42)
  }

  @Test func syncKilledAtRandomInstantsConverges() async throws {
    let f = try ChainFixture(terminals: 2)
    let seed = UInt64.random(in: 0...UInt64.max)
    var rng = SeededGenerator(seed: seed)
    for t in f.terminals { try await f.sync(t, at: ChainFixture.start.adding(seconds: 60)) }
    var expected: Int64 = 0
    for round in 0..<12 {
      let t = f.terminals[round % 2]
      let cache = try f.cache(t)
      let card = ChainFixture.cards[round % 5]
      if (try? cache.identify(card: card, at: ChainFixture.start)) == nil {
        _ = try? cache.enroll(card: card, referrer: nil, context: f.context(t, Int64(round * 100)))
      }
      let r = try cache.earn(
        card: card, lines: [PurchaseLine(category: "other", amount: 1000 + Int64(round))], receipt: "\(t)-K\(round)",
        context: f.context(t, Int64(round * 100 + 50)))
      expected += r.points
      let child = try ChildProcess(
        BuiltProducts.loyaltyTerminal,
        [
          "sync", "--cache", f.cachePath(t), "--ledger", f.ledger.path, "--terminal", t, "--key", f.keyPath(t),
          "--json", "--at", f.context(t, Int64(round * 100 + 60)).at.description,
        ])
      child.killAfter(seconds: 60)
      usleep(UInt32(rng.next() % 40_000))  // 0-40 ms: before, during or after the append
      _ = child.stop(with: SIGKILL)
    }
    for t in f.terminals + f.terminals { try await f.sync(t, at: ChainFixture.start.adding(days: 5)) }
    let total = try f.balances("T01").values.reduce(0, +)
    #expect(total == expected, "seed \(seed)")
    #expect(try f.balances("T01") == f.balances("T02"), "seed \(seed)")
    _ = try LedgerVerifier().verify(path: f.ledger.path)
    for t in f.terminals { #expect(try f.cache(t).consistencyProblems().isEmpty, "seed \(seed)") }
  }

  @Test func tenTerminalsSyncingAtOnceAreSerialisedByTheLock() async throws {
    let f = try ChainFixture(terminals: 10)
    for (i, t) in f.terminals.enumerated() {
      let cache = try f.cache(t)
      try await f.sync(t, at: ChainFixture.start.adding(seconds: 60))
      _ = try cache.enroll(card: ChainFixture.cards[i], referrer: nil, context: f.context(t, 0))
      _ = try cache.earn(
        card: ChainFixture.cards[i], lines: [PurchaseLine(category: "other", amount: 1000)], receipt: "\(t)-R",
        context: f.context(t, 60))
    }
    let children = try f.terminals.map { t in
      try ChildProcess(
        BuiltProducts.loyaltyTerminal,
        [
          "sync", "--cache", f.cachePath(t), "--ledger", f.ledger.path, "--terminal", t, "--key", f.keyPath(t),
          "--json", "--at", f.context(t, 600).at.description,
        ])
    }
    for child in children {
      child.killAfter(seconds: 120)
      #expect(child.stop(with: 0, within: 120) == 0)
    }
    _ = try LedgerVerifier().verify(path: f.ledger.path)
    for t in f.terminals { try await f.sync(t, at: ChainFixture.start.adding(days: 3)) }
    let reference = try f.balances("T01")
    #expect(reference.count == 10 && reference.values.allSatisfy { $0 == 10 })
    for t in f.terminals { #expect(try f.balances(t) == reference) }
  }
}

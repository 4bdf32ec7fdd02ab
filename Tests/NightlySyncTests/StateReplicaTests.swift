import CounterSimulation
import Foundation
import GRDB
import LedgerFormat
import LedgerStore
import LoyaltyCore
import NightlySync
import PointsCache
import SyncProtocol
import TestSupport
import Testing

/// A terminal's replica of HQ's account states, brought to HQ's epoch by deltas over the embedded
/// file path: equal to the fold, only changed accounts carried, a tampered delta refused whole.
@Suite("A terminal's replica of account states follows HQ's epochs")
struct StateReplicaTests {
  func earn(_ f: ChainFixture, _ t: String, card: Int, receipt: String, seconds: Int64) throws {
    let cache = try f.cache(t)
    let c = ChainFixture.cards[card]
    if (try? cache.identify(card: c, at: ChainFixture.start.adding(days: 1))) == nil {
      _ = try cache.enroll(card: c, referrer: nil, context: f.context(t, seconds))
    }
    _ = try cache.earn(
      card: c, lines: [PurchaseLine(category: "fresh", amount: 2_000)], receipt: receipt,
      context: f.context(t, seconds + 1))
  }

  @Test func aReplicaEqualsTheFoldAndADeltaCarriesOnlyChangedAccounts() async throws {
    let f = try ChainFixture(terminals: 2)
    for t in f.terminals { try await f.sync(t, at: ChainFixture.start.adding(seconds: 60)) }
    for c in 0..<6 { try earn(f, "T01", card: c, receipt: "R\(c)", seconds: Int64(c) * 100) }
    try await f.sync("T01", at: ChainFixture.start.adding(days: 1).adding(seconds: 3600))
    let first = try await f.sync("T02", at: ChainFixture.start.adding(days: 1).adding(seconds: 3600))
    #expect(first.received == 6)
    let (fold, _) = try LedgerFold.fold(path: f.ledger.path)
    #expect(try f.cache("T02").replicaStates() == fold.accounts)
    // A night where two of the six accounts change: the delta carries those two.
    try earn(f, "T01", card: 1, receipt: "R1b", seconds: 90_000)
    try earn(f, "T01", card: 4, receipt: "R4b", seconds: 90_100)
    try await f.sync("T01", at: ChainFixture.start.adding(days: 2))
    let second = try await f.sync("T02", at: ChainFixture.start.adding(days: 2).adding(seconds: 60))
    #expect(second.received == 2)
    let (after, _) = try LedgerFold.fold(path: f.ledger.path)
    #expect(try f.cache("T02").replicaStates() == after.accounts)
    let position = try #require(try f.cache("T02").replicaPosition())
    #expect(position.accounts == 6)
    #expect(position.liability == after.accounts.values.reduce(0) { $0 + $1.balance })
    // Nothing new: an empty delta, the same epoch.
    let third = try await f.sync("T02", at: ChainFixture.start.adding(days: 2).adding(seconds: 120))
    #expect(third.received == 0)
    #expect(try f.cache("T02").replicaPosition()?.seq == position.seq)
    // T02 holds no entry of T01's: its cache is the states, not the history.
    #expect(try f.cache("T02").consistencyProblems() == [])
    #expect(try f.cache("T02").history(card: ChainFixture.cards[1]).isEmpty)
  }

  @Test(arguments: ["a balance raised", "a digest that is not the epoch's", "a state left out", "a state repeated"])
  func aTamperedDeltaIsRefusedAndChangesNothing(_ how: String) async throws {
    let f = try ChainFixture(terminals: 2)
    for t in f.terminals { try await f.sync(t, at: ChainFixture.start.adding(seconds: 60)) }
    for c in 0..<3 { try earn(f, "T01", card: c, receipt: "R\(c)", seconds: Int64(c) * 100) }
    try await f.sync("T01", at: ChainFixture.start.adding(days: 1).adding(seconds: 3600))
    try await f.sync("T02", at: ChainFixture.start.adding(days: 1).adding(seconds: 3600))
    let balances = try f.cache("T02").balances()
    let before = try f.cache("T02").replicaStates()
    let position = try f.cache("T02").replicaPosition()
    try earn(f, "T01", card: 0, receipt: "R0b", seconds: 90_000)
    try earn(f, "T01", card: 2, receipt: "R2b", seconds: 90_100)
    try await f.sync("T01", at: ChainFixture.start.adding(days: 2))
    let tampering = TamperingConnection(honest: LocalLedgerConnection(ledger: f.ledger)) { path in
      try TamperingConnection.rewrite(path) { bytes in
        let header = bytes.indices.filter { bytes[$0] == 0x0A }[1] + 1
        switch how {
        case "a balance raised":
          // The first state's first lot (its only one): remaining + 1, still canonical.
          var state = try! AccountStateEncoding.decode(bytes[(header + 4)...].prefix(Int(bytes[header + 3])))
          var lots = state.lots.lots
          lots[0].remaining += 1
          state.lots = try! PointLots(lots: lots, deficit: 0)
          let encoded = AccountStateEncoding.encode(state)
          bytes.replaceSubrange((header + 4)..<(header + 4 + Int(bytes[header + 3])), with: encoded)
          bytes[header + 3] = UInt8(encoded.count)
        case "a digest that is not the epoch's":
          let text = String(decoding: bytes, as: UTF8.self)
          let digest = text.range(of: "\"digest\":\"")!.upperBound
          let at = text.utf8.distance(from: text.startIndex, to: digest)
          bytes[at] = bytes[at] == UInt8(ascii: "0") ? UInt8(ascii: "1") : UInt8(ascii: "0")
        case "a state left out":
          let n = 4 + Int(bytes[header + 3])
          bytes.removeSubrange(header..<(header + n))
          let text = String(decoding: bytes, as: UTF8.self).replacingOccurrences(
            of: "\"states\":2", with: "\"states\":1")
          bytes = Array(text.utf8)
        default:
          let n = 4 + Int(bytes[header + 3])
          bytes.insert(contentsOf: bytes[header..<(header + n)], at: header)
          let text = String(decoding: bytes, as: UTF8.self).replacingOccurrences(
            of: "\"states\":2", with: "\"states\":3")
          bytes = Array(text.utf8)
        }
      }
    }
    let sync = NightlySync(
      cache: try f.cache("T02"), connection: tampering, terminal: "T02", key: try LedgerKey.load(from: f.keyPath("T02"))
    )
    await #expect(throws: (any Error).self) { try await sync.run(at: ChainFixture.start.adding(days: 2)) }
    #expect(try f.cache("T02").replicaStates() == before, "\(how): the replica changed")
    #expect(try f.cache("T02").replicaPosition() == position)
    #expect(try f.cache("T02").balances() == balances)
    // The honest delta then applies.
    let honest = try await f.sync("T02", at: ChainFixture.start.adding(days: 2).adding(seconds: 60))
    #expect(honest.received == 2)
    let (fold, _) = try LedgerFold.fold(path: f.ledger.path)
    #expect(try f.cache("T02").replicaStates() == fold.accounts)
  }
}

/// A cache whose states no longer give HQ's epoch (edited, damaged) heals at its next sync by
/// taking every state afresh; a program edited in it is replaced by HQ's.
@Suite("A replica heals from HQ's states")
struct ReplicaHealingTests {
  @Test func anEditedStateAndAnEditedProgramAreTakenAfreshFromHQ() async throws {
    let f = try ChainFixture(terminals: 2)
    for t in f.terminals { try await f.sync(t, at: ChainFixture.start.adding(seconds: 60)) }
    let t1 = try f.cache("T01")
    for c in 0..<2 {
      _ = try t1.enroll(card: ChainFixture.cards[c], referrer: nil, context: f.context("T01", Int64(c) * 100))
      _ = try t1.earn(
        card: ChainFixture.cards[c], lines: [PurchaseLine(category: "fresh", amount: 2_000)], receipt: "R\(c)",
        context: f.context("T01", Int64(c) * 100 + 1))
    }
    try await f.sync("T01", at: ChainFixture.start.adding(days: 1))
    try await f.sync("T02", at: ChainFixture.start.adding(days: 1).adding(seconds: 60))
    // T02's cache edited: a state's points raised (in its base and its row), the program's
    // coffee made cheap.
    let queue = try DatabaseQueue(path: f.cachePath("T02"))
    let account = Identities.accountID(enrolledWith: ChainFixture.cards[0])
    try await queue.write { db in
      // A row stores its state without the id its key holds (`AccountStateEncoding.detached`).
      var state = try AccountStateEncoding.decode(
        AccountStateEncoding.attached(
          Array(try Data.fetchOne(db, sql: "SELECT state FROM account WHERE id = ?", arguments: [account])!),
          id: account))
      let lot = state.lots.lots[0]
      state.lots = try PointLots(
        lots: [PointLots.Lot(earnedAt: lot.earnedAt, expiresAt: lot.expiresAt, remaining: lot.remaining + 5_000)],
        deficit: 0)
      try db.execute(
        sql: "UPDATE account SET state = ?, working = NULL, balance = ? WHERE id = ?",
        arguments: [Data(AccountStateEncoding.encode(state)), state.balance, account])
      try db.execute(sql: "UPDATE program SET json = replace(json, '\"points\": 150', '\"points\": 1')")
    }
    try queue.close()
    #expect(try f.cache("T02").program().item("coffee")?.points == 1)
    // The next change to that account at HQ: T02's delta does not give the epoch, so it takes
    // every state afresh.
    _ = try t1.earn(
      card: ChainFixture.cards[0], lines: [PurchaseLine(category: "fresh", amount: 2_000)], receipt: "R9",
      context: f.context("T01", 90_000))
    try await f.sync("T01", at: ChainFixture.start.adding(days: 2))
    let healed = try await f.sync("T02", at: ChainFixture.start.adding(days: 2).adding(seconds: 60))
    #expect(healed.notices.contains { $0.contains("took every account's state afresh") }, "\(healed.notices)")
    let (fold, _) = try LedgerFold.fold(path: f.ledger.path)
    #expect(try f.cache("T02").replicaStates() == fold.accounts)
    #expect(try f.cache("T02").consistencyProblems().isEmpty)
    #expect(try f.cache("T02").program().item("coffee")?.points == 150, "the edited program stayed")
  }

  /// An epoch row damaged beyond reading (a seq that is no number) is no crash: the sync takes
  /// every state afresh.
  @Test func aDamagedEpochRowMeansABootstrap() async throws {
    let f = try ChainFixture(terminals: 1)
    try await f.sync("T01", at: ChainFixture.start.adding(seconds: 60))
    _ = try f.cache("T01").enroll(card: ChainFixture.cards[0], referrer: nil, context: f.context("T01", 0))
    try await f.sync("T01", at: ChainFixture.start.adding(days: 1))
    let queue = try DatabaseQueue(path: f.cachePath("T01"))
    try await queue.write { db in try db.execute(sql: "UPDATE replica_epoch SET seq = 'abc'") }
    try queue.close()
    #expect(try f.cache("T01").replicaPosition() == nil)
    let healed = try await f.sync("T01", at: ChainFixture.start.adding(days: 1).adding(seconds: 60))
    #expect(healed.received == 1, "every state (one account) taken afresh")
    let (fold, _) = try LedgerFold.fold(path: f.ledger.path)
    #expect(try f.cache("T01").replicaStates() == fold.accounts)
    #expect(try f.cache("T01").consistencyProblems().isEmpty)
  }

  /// A cache of before `v13-state-encoding-2` holds `loyalty-state/1` states (no tier days): it
  /// serves on them, and its next sync takes every state afresh, equal to HQ's.
  @Test func aCacheOfVersionOneStatesServesAndIsTakenAfresh() async throws {
    let f = try ChainFixture(terminals: 1)
    try await f.sync("T01", at: ChainFixture.start.adding(seconds: 60))
    try StateReplicaTests().earn(f, "T01", card: 0, receipt: "R0", seconds: 100)
    try await f.sync("T01", at: ChainFixture.start.adding(days: 1))
    let balance = try f.cache("T01").identify(card: ChainFixture.cards[0], at: ChainFixture.start.adding(days: 1))
      .balance
    // Back to what the cache held before v13: version-1 states and the migration not run.
    let queue = try DatabaseQueue(path: f.cachePath("T01"))
    try await queue.write { db in
      for row in try Row.fetchAll(db, sql: "SELECT id, state FROM account WHERE state IS NOT NULL") {
        var state = try AccountStateEncoding.decode(
          AccountStateEncoding.attached(Array(row["state"] as Data), id: row["id"]))
        #expect(!state.tierDays.isEmpty)
        state.tierDays = TierDays()
        var legacy = Array(AccountStateEncoding.encode(state).dropLast())
        legacy[0] = AccountStateEncoding.legacyVersion
        try db.execute(
          sql: "UPDATE account SET state = ? WHERE id = ?", arguments: [Data(legacy), row["id"] as String])
      }
      try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = 'v13-state-encoding-2'")
    }
    try queue.close()
    let cache = try f.cache("T01")
    #expect(try cache.replicaPosition() == nil, "the migration forgot the epoch drawn over version-1 bytes")
    #expect(try cache.identify(card: ChainFixture.cards[0], at: ChainFixture.start.adding(days: 1)).balance == balance)
    let healed = try await f.sync("T01", at: ChainFixture.start.adding(days: 1).adding(seconds: 60))
    #expect(healed.received == 1, "every state (one account) taken afresh")
    let (fold, _) = try LedgerFold.fold(path: f.ledger.path)
    #expect(try f.cache("T01").replicaStates() == fold.accounts)
    #expect(try f.cache("T01").consistencyProblems().isEmpty)
  }
}

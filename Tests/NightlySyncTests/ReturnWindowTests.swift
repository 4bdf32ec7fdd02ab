import Foundation
import HQBackOffice
import LedgerFormat
import LedgerStore
import LoyaltyCore
import NightlySync
import PointsCache
import TestSupport
import Testing

/// Issue 21, item 4: a purchase's points are pending for the return window of the program version
/// it was made under, recorded on its earn; a new version never changes points already earned.
@Suite("A purchase keeps the return window of its version")
struct ReturnWindowTests {
  let card = ChainFixture.cards[0]
  var account: String { Identities.accountID(enrolledWith: card) }
  let basket = [PurchaseLine(category: "fresh", amount: 10_000)]
  static let day1 = ChainFixture.start.adding(days: 1)

  /// The account's balance and pending points in the fold at `t`.
  func atHQ(_ fold: LedgerFold, _ t: UTCInstant) -> [Int64]? {
    fold.balances(at: t).first { $0.account == account }.map { [$0.balance, $0.pending] }
  }

  /// T01's enrolment and earn on `card`, decided by the core on the ledger as it is (its program,
  /// its last seal), as T01's counter would send them.
  func decided(_ f: ChainFixture, at t: UTCInstant) throws -> [Entry] {
    let (fold, summary) = try LedgerFold.fold(path: f.ledger.path)
    let program = try #require(fold.program)
    let c = OperationContext(terminal: "T01", operator: "x", at: t, basis: summary.lastSeq)
    let enrol = try Decisions.enroll(card: card, known: nil, referrer: nil, context: c)
    var state = AccountState(id: account)
    try state.apply(enrol, rules: StateRules(expiryDays: 365))
    let earn = try Decisions.earn(
      card: CardFacts(card: card, account: account, blocked: false), cardID: card, account: state, lines: basket,
      receipt: "T01/R1", receiptTaken: false, lastTap: nil, earnsInTrailingHour: 0, recordedBonuses: [],
      program: program, context: c
    ).entries[0]
    return [enrol, earn]
  }

  /// HQ's admission of `entries` in one batch of T01's.
  func admit(_ f: ChainFixture, _ entries: [Entry], at t: UTCInstant) throws -> Admission {
    let key = try LedgerKey.load(from: f.keyPath("T01"))
    return try f.ledger.withExclusiveLock { locked in
      var audited = try locked.audited(repairing: false)
      return try locked.admit(entries, to: &audited, signer: "T01", key: key, at: t)
    }
  }

  /// The ledger's line of the entry `id`.
  func line(_ f: ChainFixture, _ id: String) throws -> String? {
    try String(contentsOfFile: f.ledger.path, encoding: .utf8).split(separator: "\n")
      .first { $0.contains("\"id\":\"\(id)\"") }.map(String.init)
  }

  /// The issue's scenario: points earned under version 1 (no return window) stay available when
  /// version 2 adds `pendingDays: 14`, at the counter and at HQ; a purchase under version 2 is
  /// pending for 14 days, everywhere (the counter, a counter that learnt it, one bootstrapped from
  /// a snapshot, the fold, `ledger status`, the exports).
  @Test func aNewVersionsWindowLeavesEarlierPointsAvailable() async throws {
    let f = try ChainFixture(terminals: 3)
    for t in ["T01", "T02"] { try await f.sync(t, at: ChainFixture.start.adding(seconds: 60)) }
    let t1 = try f.cache("T01")
    _ = try t1.enroll(card: card, referrer: nil, context: f.context("T01", 0))
    let first = try t1.earn(card: card, lines: basket, receipt: "R1", context: f.context("T01", 60))
    try await f.sync("T01", at: Self.day1.adding(seconds: 600))
    try f.publishProgram(pendingDays: 14, at: Self.day1.adding(seconds: 700))
    try await f.sync("T01", at: Self.day1.adding(seconds: 800))
    #expect(try t1.program().pendingDays == 14)
    let before = try t1.identify(card: card, at: Self.day1.adding(seconds: 900))
    #expect([before.balance, before.pending, before.available] == [first.points, 0, first.points])

    let second = try t1.earn(card: card, lines: basket, receipt: "R2", context: f.context("T01", 1000))
    let after = try t1.identify(card: card, at: Self.day1.adding(seconds: 1001))
    #expect([after.pending, after.available] == [second.points, first.points])
    #expect(try t1.redeem(card: card, item: "coffee", context: f.context("T01", 1100)).points == 150)
    try await f.sync("T01", at: Self.day1.adding(seconds: 1200))
    try await f.sync("T02", at: Self.day1.adding(seconds: 1300))
    #expect(try line(f, "earn-T01/R1")?.contains(#""tier":"Bronze","pendingDays":0,"#) == true)
    #expect(try line(f, "earn-T01/R2")?.contains(#","pendingDays":14,"#) == true)

    let balance = first.points + second.points - 150
    let inside = Self.day1.adding(seconds: 1400)
    let closes = Self.day1.adding(seconds: 1000).adding(days: 14)
    let (fold, _) = try LedgerFold.fold(path: f.ledger.path)
    #expect(fold.audit.refusals.isEmpty, "the redemption of R1's points too: \(fold.audit.refusals)")
    #expect(atHQ(fold, inside) == [balance, second.points])
    #expect(atHQ(fold, closes.adding(seconds: -1)) == [balance, second.points])
    #expect(atHQ(fold, closes) == [balance, 0])
    #expect(try LedgerStatus.read(path: f.ledger.path, asOf: inside).pending == second.points)
    let export = try LedgerExport.export(path: f.ledger.path, format: .hledger, asOf: inside).split(separator: "\n")
    func posting(_ receipt: String) -> Substring? {
      export.firstIndex { $0.contains(" earn \(receipt) ") }.map { export[$0 + 1] }
    }
    #expect(posting("T01/R1") == "    liabilities:points:customers:\(account)  -\(first.points) PTS")
    #expect(posting("T01/R2") == "    liabilities:points:customers:\(account):pending  -\(second.points) PTS")

    // A counter that learnt both, and one that starts from HQ's snapshot, say the same.
    let snapshot = try LedgerSnapshot.make(path: f.ledger.path, hqKey: f.hq)
    #expect(snapshot.receipts["T01/R1"]?.pendingDays == 0 && snapshot.receipts["T01/R2"]?.pendingDays == 14)
    try await NightlySync(
      cache: try f.cache("T03"), connection: LocalLedgerConnection(ledger: f.ledger), terminal: "T03",
      key: try LedgerKey.load(from: f.keyPath("T03"))
    ).bootstrap(from: snapshot, at: inside)
    for t in f.terminals {
      let view = try f.cache(t).identify(card: card, at: inside)
      #expect([view.balance, view.pending] == [balance, second.points], "\(t)")
      #expect(try f.cache(t).identify(card: card, at: closes).pending == 0, "\(t)")
    }
  }

  /// An earn whose window is not its version's is refused by the audit, as any other field
  /// re-derived differently: at HQ's admission, and in every reader's fold when written past it.
  @Test func aForgedWindowIsRefused() async throws {
    let f = try ChainFixture(terminals: 1)
    try f.publishProgram(pendingDays: 14)
    try await f.sync("T01", at: ChainFixture.start.adding(seconds: 60))
    var entries = try decided(f, at: Self.day1)
    #expect(entries[1].pendingDays == 14)
    entries[1].pendingDays = 0  // its points redeemable at once
    let admission = try admit(f, entries, at: Self.day1.adding(seconds: 60))
    let why = "return window (pendingDays) 0 where the decision at its basis gives 14"
    #expect(admission.refused.map(\.entry.id) == [entries[1].id])
    #expect(admission.refused.first?.reason.contains(why) == true, "\(admission.refused)")

    let key = try LedgerKey.load(from: f.keyPath("T01"))
    try f.ledger.withExclusiveLock { locked in
      var state = try locked.audited(repairing: false).state
      _ = try locked.append(
        [LedgerEntry(entries[1])], after: &state, signer: "T01", key: key, at: Self.day1.adding(seconds: 120))
    }
    let (fold, _) = try LedgerFold.fold(path: f.ledger.path)
    #expect(fold.audit.refusals.map(\.id) == [entries[1].id])
    #expect(fold.audit.refusals.first?.reason.contains(why) == true)
    #expect(fold.accounts[account]?.balance == 0)
  }

  /// An earn line without a window (written before windows were recorded) is admitted and audited
  /// as before, and keeps the earlier behaviour: the window of the program in force.
  @Test func anEarnLineFromBeforeKeepsTheWindowOfTheProgramInForce() async throws {
    let f = try ChainFixture(terminals: 3)
    for t in ["T01", "T02"] { try await f.sync(t, at: ChainFixture.start.adding(seconds: 60)) }
    var entries = try decided(f, at: Self.day1)
    entries[1].pendingDays = nil
    let admission = try admit(f, entries, at: Self.day1.adding(seconds: 60))
    #expect(admission.refused.isEmpty, "\(admission.refused)")
    #expect(try line(f, entries[1].id)?.contains("pendingDays") == false)
    let points = try #require(entries[1].points)
    let inside = Self.day1.adding(days: 2)
    #expect(atHQ(try LedgerFold.fold(path: f.ledger.path).0, inside) == [points, 0], "version 1 has no window")

    try f.publishProgram(pendingDays: 14, at: Self.day1.adding(seconds: 600))
    let (fold, _) = try LedgerFold.fold(path: f.ledger.path)
    #expect(fold.audit.refusals.isEmpty, "\(fold.audit.refusals)")
    #expect(atHQ(fold, inside) == [points, points], "the program in force's window, as before")
    #expect(atHQ(fold, Self.day1.adding(days: 14)) == [points, 0])
    #expect(try LedgerStatus.read(path: f.ledger.path, asOf: inside).pending == points)
    try await f.sync("T02", at: Self.day1.adding(seconds: 700))
    #expect(try f.cache("T02").identify(card: card, at: inside).pending == points)

    // HQ's snapshot of such a ledger reads as one from before: no window on the receipt.
    let snapshot = try LedgerSnapshot.make(path: f.ledger.path, hqKey: f.hq)
    let encoded = try JSONEncoder().encode(snapshot)
    #expect(snapshot.receipts["T01/R1"] != nil && snapshot.receipts["T01/R1"]?.pendingDays == nil)
    #expect(!String(decoding: encoded, as: UTF8.self).contains(#""pendingDays":"#), "no key on the receipt")
    let decoded = try JSONDecoder().decode(LedgerSnapshot.self, from: encoded)
    try decoded.checkSignature()
    try await NightlySync(
      cache: try f.cache("T03"), connection: LocalLedgerConnection(ledger: f.ledger), terminal: "T03",
      key: try LedgerKey.load(from: f.keyPath("T03"))
    ).bootstrap(from: decoded, at: inside)
    #expect(try f.cache("T03").identify(card: card, at: inside).pending == points)
  }
}

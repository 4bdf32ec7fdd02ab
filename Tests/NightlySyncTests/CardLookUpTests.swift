import Foundation
import LedgerFormat
import LedgerStore
import LoyaltyCore
import NightlySync
import PointsCache
import SyncProtocol
import TestSupport
import Testing

/// A counter in a region looks a card up on demand: HQ's answer is the account as the audit
/// takes that terminal to know it on its basis, so the counter decides on the whole state and HQ
/// admits what it decided; the answer lasts until the next sync.
@Suite("A region's counter looks a card up on demand")
struct CardLookUpTests {
  static let regions = #"{"days": 2, "shops": {"north": ["T01"], "south": ["T02"]}}"#
  static let card = ChainFixture.cards[3]
  static let account = Identities.accountID(enrolledWith: card)

  /// Card 3 is Silver in the south (12 visits, 600.00 EUR at T02); T01, in the north, synced
  /// after T02 and does not hold it.
  func silverInTheSouth() async throws -> ChainFixture {
    let f = try ChainFixture(terminals: 2, program: ChainFixture.program(regions: Self.regions))
    for t in f.terminals { try await f.sync(t, at: ChainFixture.start.adding(seconds: 60)) }
    let south = try f.cache("T02")
    _ = try south.enroll(
      card: Self.card, referrer: nil,
      context: OperationContext(terminal: "T02", operator: "test", at: ChainFixture.start.adding(seconds: 29_000)))
    for s in 0..<12 {
      _ = try south.earn(
        card: Self.card, lines: [PurchaseLine(category: "fresh", amount: 5_000)], receipt: "S\(s)",
        context: OperationContext(
          terminal: "T02", operator: "test", at: ChainFixture.start.adding(seconds: 30_000 + Int64(s) * 900)))
    }
    for t in ["T02", "T01"] { try await f.sync(t, at: ChainFixture.start.adding(seconds: 22 * 3600)) }
    #expect(try f.cache("T01").replicaStates()[Self.account] == nil)
    return f
  }

  func lookUp(_ f: ChainFixture, _ t: String, _ card: String, at: UTCInstant) async throws -> LookUpOutcome {
    try await CardLookUp(
      cache: try f.cache(t), connection: LocalLedgerConnection(ledger: f.ledger), terminal: t,
      key: try LedgerKey.load(from: f.keyPath(t))
    ).run(card: card, at: at)
  }

  @Test func aLookedUpCardEarnsAndRedeemsOnItsWholeStateAndHQAdmitsIt() async throws {
    let f = try await silverInTheSouth()
    let at = ChainFixture.start.adding(days: 1).adding(seconds: 40_000)
    let (fold, _) = try LedgerFold.fold(path: f.ledger.path)
    let held = try #require(fold.accounts[Self.account])
    let outcome = try await lookUp(f, "T01", Self.card, at: at)
    #expect(outcome == .taken(account: Self.account, balance: held.balance, hqAhead: 0))
    let cache = try f.cache("T01")
    #expect(try cache.identify(card: Self.card, at: at).tier == "Silver")
    #expect(try cache.consistencyProblems().isEmpty)
    // Decided on Silver: 20.00 EUR of fresh produce is 100 points (80 provisionally, on Bronze).
    let earn = try cache.earn(
      card: Self.card, lines: [PurchaseLine(category: "fresh", amount: 2_000)], receipt: "N1",
      context: OperationContext(terminal: "T01", operator: "test", at: at.adding(seconds: 60)))
    #expect(!earn.provisional)
    #expect(earn.points == 100)
    #expect(earn.balance == held.balance + 100)
    // What a provisional card may not do: a redemption, on the balance HQ vouched for.
    let redeemed = try cache.redeem(
      card: Self.card, item: "coffee",
      context: OperationContext(terminal: "T01", operator: "test", at: at.adding(seconds: 120)))
    #expect(redeemed.balance == held.balance + 100 - 150)
    let summary = try await f.sync("T01", at: at.adding(seconds: 3_600))
    #expect(summary.refusedByHQ.isEmpty)
    let (after, _) = try LedgerFold.fold(path: f.ledger.path)
    #expect(after.refused.isEmpty)
    #expect(after.accounts[Self.account]?.balance == held.balance + 100 - 150)
    // Active in the north now: held from HQ's epoch, no longer a look-up.
    #expect(try cache.replicaStates()[Self.account] == after.accounts[Self.account])
    #expect(try cache.lookedUp().isEmpty)
    #expect(try cache.consistencyProblems().isEmpty)
  }

  @Test func aLookUpNotUsedIsDroppedAtTheNextSync() async throws {
    let f = try await silverInTheSouth()
    let at = ChainFixture.start.adding(days: 1).adding(seconds: 40_000)
    _ = try await lookUp(f, "T01", Self.card, at: at)
    let cache = try f.cache("T01")
    #expect(try cache.lookedUp().keys.sorted() == [Self.account])
    try await f.sync("T01", at: at.adding(seconds: 3_600))
    #expect(try cache.lookedUp().isEmpty)
    #expect(try cache.accountState(card: Self.card) == nil)
    #expect(try cache.consistencyProblems().isEmpty)
    // Not held again: a purchase earns provisionally, as before the look-up.
    let earn = try cache.earn(
      card: Self.card, lines: [PurchaseLine(category: "fresh", amount: 2_000)], receipt: "N2", provisional: true,
      context: OperationContext(terminal: "T01", operator: "test", at: at.adding(seconds: 3_700)))
    #expect(earn.provisional)
    #expect(earn.points == 80)
  }

  @Test func aCardNobodyEnrolledAHeldOneAndAStaleAnswerAreSaidSo() async throws {
    let f = try await silverInTheSouth()
    let at = ChainFixture.start.adding(days: 1).adding(seconds: 40_000)
    #expect(try await lookUp(f, "T01", ChainFixture.cards[9], at: at) == .unknown)
    #expect(try await lookUp(f, "T02", Self.card, at: at) == .held(account: Self.account))
    // An answer on a basis the counter has moved past is not taken.
    let cache = try f.cache("T01")
    let basis = try #require(try cache.lookUpQuestion(card: Self.card)).basis
    let (fold, _) = try LedgerFold.fold(path: f.ledger.path)
    #expect(throws: ReplicaError.self) {
      try cache.takeLookUp(
        card: Self.card, state: fold.accounts[Self.account], basis: basis - 1, headSeq: basis, answer: "{}", at: at)
    }
    #expect(try cache.lookedUp().isEmpty)
    // HQ's side refuses a basis past its ledger's end and text that is no card, in words.
    let connection = LocalLedgerConnection(ledger: f.ledger)
    let key = try LedgerKey.load(from: f.keyPath("T01"))
    await #expect(throws: LedgerError.self) {
      _ = try await connection.lookUp(card: Self.card, basis: basis + 1_000, terminal: "T01", key: key)
    }
    await #expect(throws: LedgerError.self) {
      _ = try await connection.lookUp(card: "not-a-card", basis: basis, terminal: "T01", key: key)
    }
    // Nor on a basis the terminal may not decide on: not a batch's end, or before its last
    // entry's (an account's past states are not read back night by night).
    await #expect(throws: LedgerError.self) {
      _ = try await connection.lookUp(card: Self.card, basis: basis - 1, terminal: "T01", key: key)
    }
    await #expect(throws: LedgerError.self) {
      _ = try await connection.lookUp(card: Self.card, basis: 0, terminal: "T02", key: key)
    }
  }

  /// A counter in no region decides on every account it knows in full: a card it enrolled since
  /// its last sync needs no look-up (the tap does not wait on HQ for it).
  @Test func aCounterInNoRegionDoesNotAskForACardItKnows() async throws {
    let f = try ChainFixture(terminals: 3, program: ChainFixture.program(regions: Self.regions))
    for t in f.terminals { try await f.sync(t, at: ChainFixture.start.adding(seconds: 60)) }
    let card = ChainFixture.cards[9]
    _ = try f.cache("T03").enroll(card: card, referrer: nil, context: f.context("T03", 0))
    let account = Identities.accountID(enrolledWith: card)
    #expect(try await lookUp(f, "T03", card, at: ChainFixture.start.adding(days: 1)) == .held(account: account))
    // The same at a region's counter is asked for (HQ does not know it yet).
    _ = try f.cache("T01").enroll(card: ChainFixture.cards[10], referrer: nil, context: f.context("T01", 0))
    #expect(try await lookUp(f, "T01", ChainFixture.cards[10], at: ChainFixture.start.adding(days: 1)) == .unknown)
  }
}

import Foundation
import HQBackOffice
import LedgerFormat
import LedgerStore
import LoyaltyCore
import NightlySync
import PointsCache
import TestSupport
import Testing

/// Partial replicas: a terminal the program puts in a region holds the accounts active there
/// within the region's days, and no other; a card it does not hold earns provisionally and HQ
/// admits it; an account leaves when its days there run out; a program that redraws the regions
/// has the terminals take their members afresh.
@Suite("A terminal in a region holds its region's members")
struct RegionReplicaTests {
  static let regions = #"{"days": 2, "shops": {"north": ["T01"], "south": ["T02"]}}"#
  static let lines = [PurchaseLine(category: "fresh", amount: 2_000)]

  func shop(_ f: ChainFixture, _ t: String, card: Int, day: Int, seconds: Int64, amount: Int64 = 2_000) throws {
    let cache = try f.cache(t)
    let c = ChainFixture.cards[card]
    let at = ChainFixture.start.adding(days: day).adding(seconds: seconds)
    var provisional = false
    if (try? cache.identify(card: c, at: at)) == nil {
      // A card this counter enrolled before and no longer holds: it earns provisionally.
      do {
        _ = try cache.enroll(card: c, referrer: nil, context: OperationContext(terminal: t, operator: "test", at: at))
      } catch let error as RuleError where error.reason == .alreadyEnrolled { provisional = true }
    }
    _ = try cache.earn(
      card: c, lines: [PurchaseLine(category: "fresh", amount: amount)], receipt: "R\(card)-\(day)-\(seconds)",
      provisional: provisional, context: OperationContext(terminal: t, operator: "test", at: at.adding(seconds: 1)))
  }

  /// A chain with the regions, every terminal joined (its first sync takes the program).
  func chain(_ terminals: Int) async throws -> ChainFixture {
    let f = try ChainFixture(terminals: terminals, program: ChainFixture.program(regions: Self.regions))
    for t in f.terminals { try await f.sync(t, at: ChainFixture.start.adding(seconds: 60)) }
    return f
  }

  func sync(_ f: ChainFixture, _ t: String, day: Int) async throws -> SyncSummary {
    try await f.sync(t, at: ChainFixture.start.adding(days: day).adding(seconds: 22 * 3600))
  }

  /// A chain where card 3 is Silver in the south (12 visits, 600.00 EUR at T02), and T01 — in the
  /// north — synced after T02: its epoch holds the account, its replica does not.
  func silverInTheSouth() async throws -> ChainFixture {
    let f = try await chain(2)
    for s in 0..<12 { try shop(f, "T02", card: 3, day: 0, seconds: 30_000 + Int64(s) * 900, amount: 5_000) }
    for t in ["T02", "T01"] { _ = try await sync(f, t, day: 0) }
    #expect(try f.cache("T01").replicaStates().isEmpty)
    return f
  }

  /// `t`'s sync on `day`, every entry admitted; the fold after it.
  func admitted(_ f: ChainFixture, _ t: String, day: Int) async throws -> LedgerFold {
    let summary = try await sync(f, t, day: day)
    #expect(summary.refusedByHQ.isEmpty)
    let (fold, _) = try LedgerFold.fold(path: f.ledger.path)
    #expect(fold.refused.isEmpty)
    return fold
  }

  func members(_ f: ChainFixture, _ region: String) throws -> [String: AccountState] {
    let (fold, _) = try LedgerFold.fold(path: f.ledger.path)
    return fold.accounts.filter { fold.regionDay($0.key, region: region) != nil }
  }

  @Test func eachTerminalHoldsItsRegionsMembersAndATerminalInNoneHoldsAll() async throws {
    let f = try await chain(3)
    for c in 0..<2 { try shop(f, "T01", card: c, day: 0, seconds: Int64(c) * 100 + 36_000) }
    for c in 2..<5 { try shop(f, "T02", card: c, day: 0, seconds: Int64(c) * 100 + 36_000) }
    for t in f.terminals { _ = try await sync(f, t, day: 0) }
    for t in f.terminals { _ = try await sync(f, t, day: 0) }
    let north = try members(f, "north")
    let south = try members(f, "south")
    #expect(north.count == 2)
    #expect(south.count == 3)
    #expect(try f.cache("T01").replicaStates() == north)
    #expect(try f.cache("T02").replicaStates() == south)
    let (fold, _) = try LedgerFold.fold(path: f.ledger.path)
    #expect(try f.cache("T03").replicaStates() == fold.accounts)
    let position = try #require(try f.cache("T01").replicaPosition())
    #expect(position.region == "north")
    #expect(position.accounts == 2)
    #expect(try f.cache("T03").replicaPosition()?.region == nil)
    // HQ's operator sees the same in `ledger status`: each region's terminals and members.
    let status = try LedgerStatus.read(path: f.ledger.path, asOf: ChainFixture.start.adding(days: 1))
    #expect(status.regionDays == 2)
    #expect(status.regions.map(\.name) == ["north", "south"])
    #expect(status.regions.map(\.terminals) == [["T01"], ["T02"]])
    #expect(status.regions.map(\.members) == [2, 3])
    #expect(status.regions[0].points == north.values.reduce(0) { $0 + $1.balance })
    // T01 does not know a southern card: it is not enrolled here.
    #expect(throws: RuleError.self) { try f.cache("T01").identify(card: ChainFixture.cards[3], at: ChainFixture.start) }
  }

  @Test func aCardTheRegionDoesNotHoldEarnsProvisionallyAndHQAdmitsIt() async throws {
    let f = try await silverInTheSouth()
    let at = ChainFixture.start.adding(days: 1).adding(seconds: 40_000)
    let earn = try f.cache("T01").earn(
      card: ChainFixture.cards[3], lines: Self.lines, receipt: "N1", provisional: true,
      context: OperationContext(terminal: "T01", operator: "test", at: at))
    #expect(earn.provisional)
    let fold = try await admitted(f, "T01", day: 1)
    // The account is now active in the north: T01 holds it, its card included.
    let account = Identities.accountID(enrolledWith: ChainFixture.cards[3])
    #expect(try f.cache("T01").replicaStates()[account] == fold.accounts[account])
    // Decided on the base tier at the counter and by the audit alike: 20.00 EUR of fresh produce
    // in November is 80 points for Bronze (100 for Silver).
    #expect(fold.accounts[account]?.receipts["T01/N1"]?.points == 80)
    #expect(try f.cache("T01").identify(card: ChainFixture.cards[3], at: at).tier == "Silver")
    #expect(try f.cache("T01").identify(card: ChainFixture.cards[3], at: at).balance == fold.accounts[account]?.balance)
  }

  @Test func aCardEnrolledAgainAtARegionsCounterEarnsProvisionallyUntilHQVouchesForIt() async throws {
    let f = try await silverInTheSouth()
    // The cashier at T01 does not know the card and enrols it (the chain knows it: Silver in the south).
    let at = ChainFixture.start.adding(days: 1).adding(seconds: 40_000)
    let cache = try f.cache("T01")
    _ = try cache.enroll(
      card: ChainFixture.cards[3], referrer: nil, context: OperationContext(terminal: "T01", operator: "test", at: at))
    let earn = try cache.earn(
      card: ChainFixture.cards[3], lines: Self.lines, receipt: "N2",
      context: OperationContext(terminal: "T01", operator: "test", at: at.adding(seconds: 60)))
    #expect(earn.provisional)
    let fold = try await admitted(f, "T01", day: 1)
    let account = Identities.accountID(enrolledWith: ChainFixture.cards[3])
    #expect(fold.accounts[account]?.receipts["T01/N2"]?.points == 80)
    // Held from HQ now: the next purchase is the cardholder's own, at Silver.
    let next = try cache.earn(
      card: ChainFixture.cards[3], lines: Self.lines, receipt: "N3",
      context: OperationContext(terminal: "T01", operator: "test", at: at.adding(days: 1)))
    #expect(!next.provisional)
    #expect(next.points == 100)
  }

  @Test func aCardThatLeftTheRegionIsNotEnrolledTwiceAtItsCounter() async throws {
    let f = try await chain(2)
    try shop(f, "T01", card: 0, day: 0, seconds: 36_000)
    _ = try await sync(f, "T01", day: 0)
    try shop(f, "T02", card: 5, day: 3, seconds: 36_000)
    _ = try await sync(f, "T02", day: 3)
    _ = try await sync(f, "T01", day: 3)
    #expect(try f.cache("T01").replicaStates().isEmpty)
    // The cashier enrols the card it no longer holds: refused in words, and a purchase earns.
    let at = ChainFixture.start.adding(days: 4).adding(seconds: 36_000)
    let error = #expect(throws: RuleError.self) {
      try f.cache("T01").enroll(
        card: ChainFixture.cards[0], referrer: nil, context: OperationContext(terminal: "T01", operator: "test", at: at)
      )
    }
    #expect(error?.reason == .alreadyEnrolled)
    #expect(error?.message.contains("was enrolled at this counter before") == true)
    let earn = try f.cache("T01").earn(
      card: ChainFixture.cards[0], lines: Self.lines, receipt: "B1", provisional: true,
      context: OperationContext(terminal: "T01", operator: "test", at: at.adding(seconds: 60)))
    #expect(earn.provisional)
    _ = try await admitted(f, "T01", day: 4)
  }

  @Test func anAccountLeavesTheRegionWhenItsDaysThereRunOut() async throws {
    let f = try await chain(2)
    try shop(f, "T01", card: 0, day: 0, seconds: 36_000)
    try shop(f, "T01", card: 1, day: 0, seconds: 36_100)
    _ = try await sync(f, "T01", day: 0)
    #expect(try f.cache("T01").replicaStates().count == 2)
    // Day 3: card 1 comes back to T01; the south records something (the ledger's day moves).
    try shop(f, "T01", card: 1, day: 3, seconds: 36_000)
    try shop(f, "T02", card: 5, day: 3, seconds: 36_000)
    _ = try await sync(f, "T02", day: 3)
    _ = try await sync(f, "T01", day: 3)
    let north = try members(f, "north")
    #expect(north.count == 1)
    #expect(try f.cache("T01").replicaStates() == north)
    let position = try #require(try f.cache("T01").replicaPosition())
    #expect(position.accounts == 1)
    #expect(try f.cache("T01").consistencyProblems() == [])
    // Card 0 is no longer known at T01; its points are intact at HQ.
    #expect(throws: RuleError.self) { try f.cache("T01").identify(card: ChainFixture.cards[0], at: ChainFixture.start) }
    let (fold, _) = try LedgerFold.fold(path: f.ledger.path)
    #expect((fold.accounts[Identities.accountID(enrolledWith: ChainFixture.cards[0])]?.balance ?? 0) > 0)
  }

  @Test func hqsRegionEpochsMovedByChangesEqualAFreshDraw() async throws {
    let f = try await chain(3)
    var epochs = StateEpochs()
    func fresh() throws -> (LedgerFold, LedgerVerifier.State, StateEpoch) {
      let (fold, _) = try LedgerFold.fold(path: f.ledger.path)
      var tail = LedgerVerifier.Tail.clean
      let state = try LedgerVerifier.readVerified(path: f.ledger.path, tail: &tail, each: { _ in })
      var drawn = StateEpochs()
      try drawn.advance(to: fold, at: state)
      return (fold, state, drawn.epoch(fold, at: state))
    }
    // Day by day: members join, change, and (days 2) leave; HQ's running epochs follow each sync.
    for day in 0..<6 {
      try shop(f, "T01", card: day % 3, day: day, seconds: 36_000)
      try shop(f, "T02", card: 3 + day % 2, day: day, seconds: 36_100)
      if day % 2 == 0 { try shop(f, "T03", card: day % 3, day: day, seconds: 36_200) }
      for t in f.terminals { _ = try await sync(f, t, day: day) }
      let (fold, state, expected) = try fresh()
      try epochs.advance(to: fold, at: state)
      let moved = epochs.epoch(fold, at: state)
      #expect(moved.regions == expected.regions, "day \(day)")
      #expect(moved.digest == expected.digest, "day \(day)")
      #expect(moved.day == expected.day)
      #expect(try f.cache("T01").replicaPosition()?.accounts == expected.regions?["north"]?.accounts)
    }
    // Days 0–5 saw each region's members join and leave.
    #expect(epochs.epoch(try fresh().0, at: try fresh().1).regions?["north"]?.accounts == 2)
  }

  @Test func aProgramThatRedrawsTheRegionsHasTheirTerminalsTakeTheirMembersAfresh() async throws {
    let f = try await chain(2)
    try shop(f, "T01", card: 0, day: 0, seconds: 36_000)
    try shop(f, "T02", card: 2, day: 0, seconds: 36_000)
    for t in f.terminals { _ = try await sync(f, t, day: 0) }
    #expect(try f.cache("T01").replicaStates().count == 1)
    // HQ puts T01 in the south with T02.
    let redrawn = ChainFixture.program(
      regions: #"{"days": 2, "shops": {"south": ["T01", "T02"]}}"#, version: 2)
    let at = ChainFixture.start.adding(days: 1).adding(seconds: 3600)
    try f.ledger.append(
      [LedgerEntry(kind: .program, id: "program-2", at: at, terminal: "HQ", data: redrawn)], signer: "HQ", key: f.hq,
      at: at)
    _ = try await sync(f, "T01", day: 1)
    let south = try members(f, "south")
    #expect(south.count == 2)
    #expect(try f.cache("T01").replicaStates() == south)
    #expect(try f.cache("T01").replicaPosition()?.region == "south")
  }
}

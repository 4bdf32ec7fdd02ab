import CardEmulation
import CounterFirmware
import CounterSimulation
import Foundation
import LoyaltyCore
import PointsCache
import Testing

/// A card this counter does not know earns provisionally, and a card presented after payment is
/// added to the sale: the firmware on the simulated reader, with the clock set by hand.
@Suite("Unknown cards and late cards at the counter")
struct UnknownCardEarnTests {
  static let unknownUID: [UInt8] = [0x04, 0xA1, 0xB2, 0xC3, 0xD4, 0xE5, 0xF6]
  static let unknown = "04A1B2C3D4E5F6"

  /// Picks `category` and types `amount` on the basket screen.
  func addLine(_ c: SimulatedCounter, _ category: String, _ amount: Int64, cache: PointsCache) async throws {
    let categories = CounterFirmware.categories(of: try cache.program())
    await c.press(.digit(categories.firstIndex(of: category)! + 1))
    await c.type(amount)
    await c.press(.ok)
  }

  @Test func anUnknownCardEarnsPointsAddedAtTheNextSync() async throws {
    let f = try CounterFixture()
    let c = f.counter
    await c.tap(UIDCard(uid: Self.unknownUID))
    guard case .unknownCard = await f.state else {
      Issue.record("not an unknown card: \(await f.state.name)")
      return
    }
    #expect(c.display.current.lines[2] == "OK=enrol P=buy")
    // No redemption is offered for a card the counter does not know.
    await c.press(.redeem)
    #expect(await f.state.name == "unknownCard")
    await c.press(.purchase)
    try await addLine(c, "fresh", 1250, cache: f.cache)
    await c.press(.ok)
    #expect(c.display.current.lines[1] == "Points at next sync")
    await c.press(.ok)
    let screen = c.display.current.lines
    #expect(screen[0].hasPrefix("+") && screen[1] == "added at next sync", "\(screen)")
    #expect(!screen.contains { $0.hasPrefix("Balance") }, "no balance shown: \(screen)")
    #expect(c.indicator.history.last == .success)
    let outbox = try f.cache.outbox()  // the fixture's enrolment, then the earn
    #expect(outbox.count == 2 && outbox[1].isProvisional)
    #expect(outbox[1].account == Identities.accountID(enrolledWith: Self.unknown))
    // Still a new card here: the next tap offers enrolment (or another provisional purchase).
    await c.remove()
    c.clock.advance(seconds: 10)
    await c.tap(UIDCard(uid: Self.unknownUID))
    #expect(await f.state.name == "unknownCard")
  }

  @Test func aCardPresentedAfterPaymentIsAddedToTheSaleAtItsTime() async throws {
    let f = try CounterFixture()
    let c = f.counter
    let soldAt = c.clock.now
    await c.press(.purchase)
    await c.scan("R500")
    try await addLine(c, "fresh", 1000, cache: f.cache)
    await c.press(.ok)
    #expect(c.display.current.lines[0] == "Sale kept")
    await c.press(.ok)
    #expect(c.display.current.lines[1] == "Sale 10.00 EUR")
    c.clock.advance(seconds: 240)
    await c.tap(LoyaltyAppletCard(number: CounterFixture.known))
    guard case .confirm(.purchase(_, let lines, "R500", false, soldAt)) = await f.state else {
      Issue.record("the sale was not offered: \(await f.state.name)")
      return
    }
    #expect(lines == [PurchaseLine(category: "fresh", amount: 1000)])
    #expect(c.display.current.lines[0] == "Add sale 10.00 EUR?")
    await c.press(.ok)
    #expect(c.display.current.lines[3] == "Receipt T01/R500")
    let outbox = try f.cache.outbox()
    #expect(outbox.last?.receipt == "T01/R500" && outbox.last?.at == soldAt, "earned at the sale's time")
    #expect(try f.balance == outbox.last?.points)
    // Offered once: the next tap is an ordinary one.
    await c.remove()
    c.clock.advance(seconds: 10)
    await c.tap(LoyaltyAppletCard(number: CounterFixture.known))
    #expect(await f.state.name == "identified")
  }

  @Test func aSaleIsNotOfferedAfterItsFiveMinutesOrAfterCancel() async throws {
    let f = try CounterFixture()
    let c = f.counter
    let before = try f.outboxCount
    for cancelOffer in [false, true] {
      await c.press(.purchase)
      try await addLine(c, "other", 700, cache: f.cache)
      await c.press(.ok, .ok)
      c.clock.advance(seconds: cancelOffer ? 60 : 301)
      await c.tap(LoyaltyAppletCard(number: CounterFixture.known))
      if cancelOffer {
        #expect(await f.state.name == "confirm")
        await c.press(.cancel)
        await c.remove()
        c.clock.advance(seconds: 10)
        await c.tap(LoyaltyAppletCard(number: CounterFixture.known))
      }
      #expect(await f.state.name == "identified", "cancel: \(cancelOffer)")
      await c.remove()
      c.clock.advance(seconds: 10)
    }
    #expect(try f.outboxCount == before, "nothing recorded")
  }

  @Test func aLateUnknownCardEarnsProvisionally() async throws {
    let f = try CounterFixture()
    let c = f.counter
    await c.press(.purchase)
    try await addLine(c, "fresh", 2000, cache: f.cache)
    await c.press(.ok, .ok)
    c.clock.advance(seconds: 30)
    await c.tap(UIDCard(uid: Self.unknownUID))
    guard case .confirm(.purchase(Self.unknown, _, nil, true, _)) = await f.state else {
      Issue.record("not offered provisionally: \(await f.state.name)")
      return
    }
    #expect(c.display.current.lines[1] == "Points at next sync")
    await c.press(.ok)
    #expect(c.display.current.lines[1] == "added at next sync")
    #expect(try f.cache.outbox().last?.isProvisional == true)
  }
}

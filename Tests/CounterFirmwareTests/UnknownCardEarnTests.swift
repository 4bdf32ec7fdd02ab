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
    // A stand-alone counter (its program loaded here) promises no sync: the points stay on the
    // card's own account until it is enrolled (CounterMachineTests has a chained counter's words).
    #expect(c.display.current.lines[2] == "Kept on the card")
    await c.press(.ok)
    let screen = c.display.current.lines
    #expect(screen[0].hasPrefix("+") && screen[1] == "kept on the card", "\(screen)")
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
    #expect(c.display.current.lines[0] == "Sale kept. Tap the")
    await c.press(.ok)
    #expect(c.display.current.lines[0] == "Sale 10.00 EUR")
    #expect(c.display.current.lines[3] == "C=drop the sale")
    c.clock.advance(seconds: 240)
    await c.tap(LoyaltyAppletCard(number: CounterFixture.known))
    guard case .confirm(.purchase(_, let lines, "R500", false, soldAt), _) = await f.state else {
      Issue.record("the sale was not offered: \(await f.state.name)")
      return
    }
    #expect(lines == [PurchaseLine(category: "fresh", amount: 1000)])
    #expect(c.display.current.lines[0] == "Add sale 10.00 EUR?")
    await c.press(.ok)
    #expect(c.display.current.lines.contains("Receipt T01/R500"))
    let outbox = try f.cache.outbox()
    #expect(outbox.last?.receipt == "T01/R500" && outbox.last?.at == soldAt, "earned at the sale's time")
    #expect(try f.balance == outbox.last?.points)
    // Offered once: the next tap is an ordinary one.
    await c.remove()
    c.clock.advance(seconds: 10)
    await c.tap(LoyaltyAppletCard(number: CounterFixture.known))
    #expect(await f.state.name == "identified")
  }

  @Test func aCancelledOfferWaitsForTheRightCardAndNoSaleOutlivesItsFiveMinutes() async throws {
    let f = try CounterFixture()
    let c = f.counter
    let before = try f.outboxCount
    await c.press(.purchase)
    try await addLine(c, "other", 700, cache: f.cache)
    await c.press(.ok, .ok)
    // A newer sale replaces the waiting one, and the screen says so.
    await c.press(.purchase)
    try await addLine(c, "other", 900, cache: f.cache)
    await c.press(.ok)
    #expect(c.display.current.lines[3] == "Earlier 7.00 dropped")
    await c.press(.ok)
    c.clock.advance(seconds: 60)
    // The wrong customer's card: C says "not this card", and the sale waits on.
    await c.tap(UIDCard(uid: Self.unknownUID))
    #expect(c.display.current.lines[0] == "Add sale 9.00 EUR?")
    await c.press(.cancel)
    // Declined: the cardholder goes on to their own screen (here: enrol), the sale waits on.
    #expect(await f.state.name == "unknownCard")
    #expect(c.display.current.lines[3] == "Sale kept for other")
    await c.remove()
    c.clock.advance(seconds: 10)
    await c.tap(LoyaltyAppletCard(number: CounterFixture.known))
    #expect(await f.state.name == "confirm", "offered again to the next card")
    // Left unanswered: the offer times out, the sale waits on.
    c.clock.advance(seconds: 61)
    await c.firmware.handle(.tick)
    #expect(c.display.current.lines == ["Timed out", "Sale kept for", "another card.", ""])
    await c.remove()
    c.clock.advance(seconds: 5)
    await c.tap(LoyaltyAppletCard(number: CounterFixture.known))
    #expect(await f.state.name == "confirm")
    // Lifted before OK: still waiting, until its five minutes are over.
    await c.remove()
    #expect(c.display.current.lines[1] == "Sale kept for")
    c.clock.advance(seconds: 241 - 66)
    await c.press(.ok)
    #expect(c.display.current.lines[1] == "", "the idle screen no longer shows the sale")
    await c.tap(LoyaltyAppletCard(number: CounterFixture.known))
    #expect(await f.state.name == "identified")
    #expect(try f.outboxCount == before, "nothing recorded")
  }

  @Test func aRefusedSaleWaitsOnAndTheRefusalMasksTheCard() async throws {
    let f = try CounterFixture()
    let c = f.counter
    await c.tap(LoyaltyAppletCard(number: CounterFixture.known))
    await c.press(.purchase)
    try await addLine(c, "other", 500, cache: f.cache)
    await c.press(.ok, .ok)
    await c.remove()
    // A sale a second later, offered to the same card: the tap rule refuses it (debounce).
    c.clock.advance(seconds: 1)
    await c.press(.ok, .purchase)
    try await addLine(c, "other", 800, cache: f.cache)
    await c.press(.ok, .ok)
    c.clock.advance(seconds: 1)
    await c.tap(LoyaltyAppletCard(number: CounterFixture.known))  // refused at the check, before any OK
    let screen = c.display.current.lines
    #expect(screen[0] == "Refused", "\(screen)")
    #expect(!screen.joined().contains(CounterFixture.known), "the whole number is never shown: \(screen)")
    await c.press(.ok)  // the refusal's second page
    #expect(c.display.current.lines[0] == "Sale kept for", "\(c.display.current.lines)")
    // The sale waits for the right card.
    await c.remove()
    c.clock.advance(seconds: 10)
    await c.tap(UIDCard(uid: Self.unknownUID))
    await c.press(.ok)
    #expect(c.display.current.lines[1] == "kept on the card", "\(c.display.current.lines)")
    #expect(try f.cache.outbox().last?.card == Self.unknown)
  }

  @Test func aLateUnknownCardEarnsProvisionally() async throws {
    let f = try CounterFixture()
    let c = f.counter
    await c.press(.purchase)
    try await addLine(c, "fresh", 2000, cache: f.cache)
    await c.press(.ok, .ok)
    c.clock.advance(seconds: 30)
    await c.tap(UIDCard(uid: Self.unknownUID))
    guard case .confirm(.purchase(let card, _, nil, true, _), _) = await f.state, card.text == Self.unknown else {
      Issue.record("not offered provisionally: \(await f.state.name)")
      return
    }
    #expect(c.display.current.lines[1] == "+80 pts on the card")
    await c.press(.ok)
    #expect(c.display.current.lines[1] == "kept on the card")
    #expect(try f.cache.outbox().last?.isProvisional == true)
  }

  /// Pending points at the counter: the cardholder screen says how many, the redeem menu offers
  /// only what is available, and a redemption of pending points is refused until the window closes.
  @Test func pendingPointsAtTheCounterAcrossTheWindowBoundary() async throws {
    let f = try CounterFixture(pendingDays: 14)
    let c = f.counter
    await c.tap(LoyaltyAppletCard(number: CounterFixture.known))
    await c.press(.purchase)
    try await addLine(c, "fresh", 10_000, cache: f.cache)
    await c.press(.ok, .ok)
    let earned = try f.balance
    await c.remove()
    c.clock.advance(seconds: 3600)
    await c.tap(LoyaltyAppletCard(number: CounterFixture.known))
    #expect(c.display.current.lines[0] == "\(earned) pts, \(earned) pending")
    await c.press(.redeem)
    #expect(c.display.current.lines[0] == "Redeem: 0 pts")
    #expect(c.display.current.lines[1] == "Not enough points")
    await c.press(.digit(1))
    #expect(await f.state.name == "redeemMenu", "nothing to confirm")
    await c.remove()
    // The window closes 14 days after the purchase, to the second.
    c.clock.set(CounterFixture.start.adding(seconds: 60).adding(days: 14))
    await c.tap(LoyaltyAppletCard(number: CounterFixture.known))
    #expect(c.display.current.lines[0] == "****7895 \(earned) pts", "\(c.display.current.lines)")
    await c.press(.redeem)
    #expect(c.display.current.lines[0] == "Redeem: \(earned) pts")
    await c.press(.digit(1), .ok)
    #expect(c.display.current.lines[0] == "Redeemed Free coffee", "\(c.display.current.lines)")
  }
}

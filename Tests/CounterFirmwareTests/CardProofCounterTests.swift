import CardEmulation
import CounterFirmware
import CounterSimulation
import Crypto
import HexCoding
import LoyaltyCore
import PointsCache
import Testing

/// Card-present proof at the counter, through the simulated reader's APDUs: a card that signs
/// gives its key at its enrolment and signs its redemption on the reader; one that cannot is
/// served as before.
@Suite("Cards that sign, at the counter")
struct CardProofCounterTests {
  /// Enrols `card` at the keypad, then buys 40.00 of fresh food with it (160 points).
  func enrolAndBuy(_ card: LoyaltyAppletCard, on f: CounterFixture) async throws {
    let c = f.counter
    await c.tap(card)
    guard case .unknownCard = await f.state else {
      Issue.record("not offered for enrolment: \(await f.state.name)")
      return
    }
    await c.press(.ok)
    if case .confirm = await f.state { await c.press(.ok) }
    await c.remove()
    await c.press(.ok)
    try await buy(card, on: f)
  }

  /// Buys 40.00 of fresh food with `card` (160 points).
  func buy(_ card: LoyaltyAppletCard, on f: CounterFixture) async throws {
    let c = f.counter
    c.clock.advance(seconds: 600)  // past the debounce
    await c.tap(card)
    await c.press(.purchase)
    let categories = CounterFirmware.categories(of: try f.cache.program())
    await c.press(.digit(categories.firstIndex(of: "fresh")! + 1))
    await c.type(4000)
    await c.press(.ok, .ok, .ok)
    await c.remove()
    await c.press(.ok)
  }

  /// Redeems a coffee with `card` on the reader; the screen's first line after OK.
  func redeemCoffee(_ card: LoyaltyAppletCard, on f: CounterFixture) async -> String {
    let c = f.counter
    await c.tap(card)
    await c.press(.redeem)
    await c.press(.digit(1), .ok)
    let shown = c.display.current.lines[0]
    await c.remove()
    await c.press(.ok)
    return shown
  }

  @Test func aCardThatSignsIsEnrolledWithItsKeyAndSignsItsRedemption() async throws {
    let f = try CounterFixture()
    let number = ChainCards.signing
    let card = LoyaltyAppletCard(number: number)
    try await enrolAndBuy(card, on: f)
    let key = LoyaltyAppletCard.emulatedKey(for: number).publicKey
    let enrolment = try f.cache.outbox().first { $0.kind == .enroll && $0.card == number }
    #expect(enrolment?.data == Hex.lowercase(Array(key.x963Representation)), "the card's key, from the card")
    #expect(await redeemCoffee(card, on: f) == "Redeemed Free coffee")
    let redemption = try #require(try f.cache.outbox().first { $0.kind == .redeem })
    let proof = try CardProof(parsing: try #require(redemption.proof))
    #expect(proof.verifies(redemption, publicKey: enrolment?.data ?? ""), "signed by the card, over this entry")
    // A card of the same number with another key (a clone, or the genuine card when someone
    // claimed its number first with a key of their own) is not the enrolled card: refused at the
    // tap, so it neither spends from the account nor earns into it.
    try await buy(card, on: f)
    let clone = LoyaltyAppletCard(
      stored: Array(number.utf8), privateKey: Array(P256.Signing.PrivateKey().rawRepresentation))
    let c = f.counter
    await c.tap(clone)
    #expect(c.display.current.lines[0] == "Refused", "\(c.display.current.lines)")
    #expect(c.display.current.lines[1] == "Card not the one", "\(c.display.current.lines)")
    await c.press(.purchase)
    let state = await f.state.name
    #expect(!state.hasPrefix("basket"), "no sale for the clone: \(state)")
    await c.remove()
    await c.press(.ok)
    #expect(try f.cache.outbox().filter { $0.kind == .redeem }.count == 1, "nothing recorded for the clone")
  }

  @Test func aCardThatCannotSignRedeemsAsBefore() async throws {
    let f = try CounterFixture()
    let card = LoyaltyAppletCard(number: ChainCards.signing, signs: false)
    try await enrolAndBuy(card, on: f)
    #expect(try f.cache.outbox().first { $0.kind == .enroll && $0.card == ChainCards.signing }?.data == nil)
    #expect(await redeemCoffee(card, on: f) == "Redeemed Free coffee")
    #expect(try f.cache.outbox().first { $0.kind == .redeem }?.proof == nil)
  }
}

/// A loyalty number no fixture enrols.
enum ChainCards {
  static let signing = "6280009876543215"
}

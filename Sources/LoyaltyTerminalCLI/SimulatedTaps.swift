import CardEmulation
import CardIdentification
import SimulatedCardReader

/// The taps `watch --simulated` plays, round and round: every card kind, and bad cards too.
enum SimulatedTaps {
  static let readerName = "Simulated Reader 0"

  static var demo: [SimulatedTap] {
    [
      SimulatedTap(card: LoyaltyAppletCard(number: "6280001234567895")),
      SimulatedTap(card: NDEFTagCard.text("4000001234567899")),
      SimulatedTap(card: UIDCard(uid: [0x04, 0xA1, 0xB2, 0xC3, 0xD4, 0xE5, 0xF6])),
      SimulatedTap(card: NDEFTagCard.uri("https://loyalty.example/c/5555444433332226")),
      SimulatedTap(card: LoyaltyAppletCard(number: "6280001234567890")),  // fails Luhn
      SimulatedTap(card: UIDCard(uid: [0x08, 0x3C, 0x11, 0x9A])),  // random UID
      SimulatedTap(card: UIDCard(uid: [0xDE, 0xAD, 0xBE, 0xEF]), faults: [.removedDuringCommand(1)]),
    ]
  }
}

/// The cashier's hand over the in-process simulated reader (`run --simulated`): it places the card
/// an ID names on the reader and takes it away, so the counter's run loop needs no simulation
/// module of its own.
struct SimulatedHand: Sendable {
  let simulator: SimulatedCardReaderSystem
  var reader: String { SimulatedTaps.readerName }

  /// Places the card `id` names on the reader; nil when placed, else why not, in words.
  func place(_ id: String) -> String? {
    guard let card = CardKind.card(for: id) else { return "\(id) is neither a 16-digit loyalty number nor a hex UID" }
    simulator.insert(card, into: reader)
    return nil
  }

  /// The answer to reset of the card on the reader (empty when none).
  func atr() async -> [UInt8] {
    ((try? await simulator.readers().first { $0.name == reader }?.atr) ?? nil) ?? []
  }

  /// Takes the card away.
  func remove() { simulator.remove(from: reader) }
}

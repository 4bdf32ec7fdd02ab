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

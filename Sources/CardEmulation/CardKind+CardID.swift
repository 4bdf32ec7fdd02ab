import CardReader
import HexCoding
import LoyaltyCore

extension CardKind {
  /// The emulated card for a card ID, by its kind (`CardID`): a loyalty number is a loyalty
  /// applet card, a UID (digits only included) a plain UID card; other hex of 4-10 bytes is a
  /// UID card too, for the reader layer to refuse.
  public static func card(for id: String) -> (any EmulatedCard)? {
    if let card = try? CardID(parsing: id) {
      switch card.kind {
      case .loyaltyNumber: return LoyaltyAppletCard(number: card.text)
      case .uid: return Hex.decode(card.text).map { UIDCard(uid: $0) }
      }
    }
    guard let uid = Hex.decode(id), (4...10).contains(uid.count) else { return nil }
    return UIDCard(uid: uid)
  }
}

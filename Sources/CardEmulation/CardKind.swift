import CardReader
import HexCoding

/// The three kinds of virtual loyalty card, as named on the command line.
public enum CardKind: String, CaseIterable, Sendable {
  /// A MIFARE-style storage card identified by its UID.
  case uid
  /// An ISO 14443-4 card with the loyalty applet.
  case applet
  /// An NFC Forum Type 4 tag with an NDEF Text or URI record.
  case ndef

  /// Builds the card for `id`: hex UID for `uid`, digits for `applet`, and for `ndef` either digits
  /// (a Text record) or a URI whose last path segment is the number (a URI record).
  public func makeCard(id: String) throws(CardKindError) -> any EmulatedCard {
    switch self {
    case .uid:
      guard let uid = Hex.decode(id), [4, 7, 10].contains(uid.count) else {
        throw CardKindError(message: "a uid card needs 4, 7 or 10 bytes of hex, got \"\(id)\"")
      }
      return UIDCard(uid: uid)
    case .applet:
      return LoyaltyAppletCard(number: id)
    case .ndef:
      return id.contains("://") ? NDEFTagCard.uri(id) : NDEFTagCard.text(id)
    }
  }
}

/// A card description that cannot be built.
public struct CardKindError: Error, CustomStringConvertible {
  public var message: String
  public var description: String { message }
}

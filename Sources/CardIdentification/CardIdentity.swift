import CardReader
import LoyaltyCore

/// A card's loyalty identity, as read at the counter: typed from the moment it is read, so a UID
/// made only of digits is never taken for a loyalty number further on.
public struct CardIdentity: Hashable, Sendable {
  /// The card: a loyalty number (applet, NDEF) or the chip's UID.
  public var card: CardID
  /// Where the ID came from.
  public var source: IdentificationMethod
  /// The card type named by the matching ATR profile.
  public var cardType: String
  /// The card's ATR in uppercase hex.
  public var atr: String
  /// The card's P-256 public key (X9.63, 65 bytes) when its loyalty applet can sign (`CardProof`).
  public var publicKey: [UInt8]?

  public init(card: CardID, source: IdentificationMethod, cardType: String, atr: String, publicKey: [UInt8]? = nil) {
    self.card = card
    self.source = source
    self.cardType = cardType
    self.atr = atr
    self.publicKey = publicKey
  }

  /// The card's canonical text: 16 digits for applet and NDEF cards, uppercase hex for a UID.
  public var id: String { card.text }
}

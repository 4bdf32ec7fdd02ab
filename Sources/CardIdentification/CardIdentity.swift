import CardReader

/// A card's loyalty identity, as read at the counter.
public struct CardIdentity: Hashable, Sendable, Codable {
  /// The loyalty card ID: 16 digits for applet and NDEF cards, uppercase hex for a UID.
  public var id: String
  /// Where the ID came from.
  public var source: IdentificationMethod
  /// The card type named by the matching ATR profile.
  public var cardType: String
  /// The card's ATR in uppercase hex.
  public var atr: String

  public init(id: String, source: IdentificationMethod, cardType: String, atr: String) {
    self.id = id
    self.source = source
    self.cardType = cardType
    self.atr = atr
  }
}

import CardReader

/// A MIFARE-style storage card: a PC/SC Part 3 ATR and a UID, nothing else.
public struct UIDCard: EmulatedCard {
  /// PC/SC Part 3 card names (NN NN in the ATR).
  public enum Model: UInt16, Sendable {
    case mifareClassic1K = 0x0001
    case mifareClassic4K = 0x0002
    case mifareUltralight = 0x0003
  }

  public let uid: [UInt8]
  public let atr: [UInt8]

  /// A card with a 4-, 7- or 10-byte UID.
  public init(uid: [UInt8], model: Model = .mifareClassic1K) {
    self.uid = uid
    self.atr = ATR.storageCard(standard: 0x03, cardName: model.rawValue)
  }

  public mutating func reset() {}

  public mutating func respond(to command: [UInt8]) -> [UInt8] {
    guard let c = ParsedCommand(command) else { return SW.wrongLength }
    if c.cla == 0xFF && c.ins == 0xCA { return answerGetUID(c, uid: uid) }
    // A storage card has no ISO 7816-4 file system: the reader answers "not supported".
    return SW.functionNotSupported
  }
}

import CardReader

/// An ISO 14443-4 card carrying the loyalty application (AID F04C4F59414C545901).
///
/// After SELECT by AID, READ BINARY returns the loyalty number as ASCII digits.
public struct LoyaltyAppletCard: EmulatedCard {
  /// The loyalty application's AID.
  public static let aid: [UInt8] = [0xF0, 0x4C, 0x4F, 0x59, 0x41, 0x4C, 0x54, 0x59, 0x01]
  /// Historical bytes of the emulated card's ATR ("LOYALTY").
  public static let historicalBytes: [UInt8] = Array("LOYALTY".utf8)

  public let atr: [UInt8]
  public let uid: [UInt8]
  /// What the application stores: normally 16 digits, but tests store anything.
  public let stored: [UInt8]
  private var selected = false

  /// A card whose application stores `number` (ASCII).
  public init(number: String, uid: [UInt8] = [0x08, 0x12, 0x34, 0x56]) {
    self.init(stored: Array(number.utf8), uid: uid)
  }

  /// A card whose application stores raw bytes.
  public init(stored: [UInt8], uid: [UInt8] = [0x08, 0x12, 0x34, 0x56]) {
    self.stored = stored
    self.uid = uid
    self.atr = ATR.contactless(historicalBytes: Self.historicalBytes)
  }

  public mutating func reset() { selected = false }

  public mutating func respond(to command: [UInt8]) -> [UInt8] {
    guard let c = ParsedCommand(command) else { return SW.wrongLength }
    if c.cla == 0xFF {
      return c.ins == 0xCA ? answerGetUID(c, uid: uid) : SW.insNotSupported
    }
    guard c.cla & 0xFC == 0x00 else { return SW.claNotSupported }
    switch c.ins {
    case 0xA4:
      guard c.p1 == 0x04 else { return SW.fileNotFound }
      selected = c.data == Self.aid
      return selected ? SW.ok : SW.fileNotFound
    case 0xB0:
      guard selected else { return SW.commandNotAllowed }
      return readBinary(c, file: stored)
    default:
      return SW.insNotSupported
    }
  }
}

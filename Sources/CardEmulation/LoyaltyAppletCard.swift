import CardReader
import Crypto

/// An ISO 14443-4 card carrying the loyalty application (AID F04C4F59414C545901).
///
/// After SELECT by AID, READ BINARY returns the loyalty number as ASCII digits. A card that can
/// sign (`CardProof`) also answers GET DATA 7F49 with its P-256 public key (65 bytes, X9.63) and
/// INTERNAL AUTHENTICATE with its ECDSA signature (64 bytes, r‖s) over a 32-byte challenge; one
/// that cannot answers both with 6A88 and 6D00. The APDUs are in hardware/loyalty-applet.md.
public struct LoyaltyAppletCard: EmulatedCard {
  /// The loyalty application's AID.
  public static let aid: [UInt8] = [0xF0, 0x4C, 0x4F, 0x59, 0x41, 0x4C, 0x54, 0x59, 0x01]
  /// Historical bytes of the emulated card's ATR ("LOYALTY").
  public static let historicalBytes: [UInt8] = Array("LOYALTY".utf8)

  public let atr: [UInt8]
  public let uid: [UInt8]
  /// What the application stores: normally 16 digits, but tests store anything.
  public let stored: [UInt8]
  /// The card's own private key (the P-256 scalar); nil: a card that cannot sign.
  public let privateKey: [UInt8]?
  var signingKey: P256.Signing.PrivateKey? { privateKey.flatMap { try? .init(rawRepresentation: $0) } }
  private var selected = false

  /// A card whose application stores `number` (ASCII). By default it signs with a key derived
  /// from its number (`emulatedKey(for:)`): an emulated card's key, for simulations and tests
  /// only, never a real card's.
  public init(number: String, uid: [UInt8] = [0x08, 0x12, 0x34, 0x56], signs: Bool = true) {
    self.init(
      stored: Array(number.utf8), uid: uid,
      privateKey: signs ? Array(Self.emulatedKey(for: number).rawRepresentation) : nil)
  }

  /// A card whose application stores raw bytes.
  public init(
    stored: [UInt8], uid: [UInt8] = [0x08, 0x12, 0x34, 0x56], privateKey: [UInt8]? = nil
  ) {
    self.stored = stored
    self.uid = uid
    self.privateKey = privateKey
    self.atr = ATR.contactless(historicalBytes: Self.historicalBytes)
  }

  /// The key an emulated card of `number` signs with: SHA-256 of its number as the private scalar.
  public static func emulatedKey(for number: String) -> P256.Signing.PrivateKey {
    let seed = SHA256.hash(data: Array("loyalty/emulated-card-key/v1\n\(number)".utf8))
    // A 256-bit value is a valid P-256 scalar but with probability ~2^-32: then hash again.
    if let key = try? P256.Signing.PrivateKey(rawRepresentation: Array(seed)) { return key }
    return try! P256.Signing.PrivateKey(rawRepresentation: Array(SHA256.hash(data: Array(seed))))
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
    case 0xCA:
      guard selected else { return SW.commandNotAllowed }
      guard c.p1 == 0x7F, c.p2 == 0x49 else { return SW.wrongP1P2 }
      guard let signingKey else { return SW.referencedDataNotFound }
      return signingKey.publicKey.x963Representation + SW.ok
    case 0x88:
      guard selected else { return SW.commandNotAllowed }
      guard let signingKey else { return SW.insNotSupported }
      guard c.p1 == 0x00, c.p2 == 0x00 else { return SW.wrongP1P2 }
      guard c.data.count == 32 else { return SW.wrongLength }
      guard let signature = try? signingKey.signature(for: c.data) else { return SW.commandNotAllowed }
      return Array(signature.rawRepresentation) + SW.ok
    default:
      return SW.insNotSupported
    }
  }
}

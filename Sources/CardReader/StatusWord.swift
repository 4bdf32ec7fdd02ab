import HexCoding

/// The two status bytes SW1 SW2 that end every response APDU (ISO/IEC 7816-4).
public struct StatusWord: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
  /// SW1 << 8 | SW2.
  public var rawValue: UInt16

  public init(rawValue: UInt16) { self.rawValue = rawValue }

  /// A status word from its two bytes.
  public init(sw1: UInt8, sw2: UInt8) { self.rawValue = UInt16(sw1) << 8 | UInt16(sw2) }

  public var sw1: UInt8 { UInt8(rawValue >> 8) }
  public var sw2: UInt8 { UInt8(rawValue & 0xFF) }

  /// 9000: normal processing.
  public static let success = StatusWord(rawValue: 0x9000)
  /// 6282: end of file reached before reading Ne bytes.
  public static let endOfFile = StatusWord(rawValue: 0x6282)
  /// 6700: wrong length.
  public static let wrongLength = StatusWord(rawValue: 0x6700)
  /// 6981: command incompatible with file structure.
  public static let incompatibleFileStructure = StatusWord(rawValue: 0x6981)
  /// 6982: security status not satisfied.
  public static let securityStatusNotSatisfied = StatusWord(rawValue: 0x6982)
  /// 6985: conditions of use not satisfied.
  public static let conditionsNotSatisfied = StatusWord(rawValue: 0x6985)
  /// 6986: command not allowed (no current EF).
  public static let commandNotAllowed = StatusWord(rawValue: 0x6986)
  /// 6A81: function not supported.
  public static let functionNotSupported = StatusWord(rawValue: 0x6A81)
  /// 6A82: file or application not found.
  public static let fileNotFound = StatusWord(rawValue: 0x6A82)
  /// 6A86: incorrect parameters P1-P2.
  public static let incorrectP1P2 = StatusWord(rawValue: 0x6A86)
  /// 6B00: wrong parameters (offset outside the EF).
  public static let wrongParameters = StatusWord(rawValue: 0x6B00)
  /// 6D00: instruction not supported.
  public static let instructionNotSupported = StatusWord(rawValue: 0x6D00)
  /// 6E00: class not supported.
  public static let classNotSupported = StatusWord(rawValue: 0x6E00)
  /// 6F00: no precise diagnosis.
  public static let noPreciseDiagnosis = StatusWord(rawValue: 0x6F00)

  /// Whether this is 9000.
  public var isSuccess: Bool { self == .success }
  /// 61xx: more response bytes are waiting for GET RESPONSE.
  public var isMoreDataAvailable: Bool { sw1 == 0x61 }
  /// 6Cxx: wrong Le; SW2 holds the right one.
  public var isWrongLe: Bool { sw1 == 0x6C }

  public var description: String {
    let hex = Hex.encode([sw1, sw2])
    if let name = Self.names[rawValue] { return "\(hex) (\(name))" }
    switch sw1 {
    case 0x61: return "\(hex) (\(sw2) more bytes available)"
    case 0x6C: return "\(hex) (wrong Le, use \(sw2))"
    default: return hex
    }
  }

  private static let names: [UInt16: String] = [
    0x9000: "success", 0x6282: "end of file", 0x6700: "wrong length",
    0x6981: "incompatible file structure", 0x6982: "security status not satisfied",
    0x6985: "conditions of use not satisfied", 0x6986: "command not allowed",
    0x6A81: "function not supported", 0x6A82: "file or application not found",
    0x6A86: "incorrect P1-P2", 0x6B00: "wrong parameters", 0x6D00: "instruction not supported",
    0x6E00: "class not supported", 0x6F00: "no precise diagnosis",
  ]
}

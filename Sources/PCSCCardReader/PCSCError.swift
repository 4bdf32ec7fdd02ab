import CardReader
import HexCoding

/// A pcsc-lite return code (SCARD_E_*, SCARD_W_*, SCARD_F_*) with its readable name.
///
/// The C macros are casts pcsc-lite's headers write as `((LONG)0x8010…)`, which Swift does not
/// import, so the values are restated here from pcsclite.h (pcsc-lite 1.9.9).
public struct PCSCError: Error, RawRepresentable, Hashable, Sendable, CustomStringConvertible {
  public var rawValue: UInt32
  public init(rawValue: UInt32) { self.rawValue = rawValue }

  public static let internalError = PCSCError(rawValue: 0x8010_0001)
  public static let cancelled = PCSCError(rawValue: 0x8010_0002)
  public static let invalidHandle = PCSCError(rawValue: 0x8010_0003)
  public static let invalidParameter = PCSCError(rawValue: 0x8010_0004)
  public static let noMemory = PCSCError(rawValue: 0x8010_0006)
  public static let insufficientBuffer = PCSCError(rawValue: 0x8010_0008)
  public static let unknownReader = PCSCError(rawValue: 0x8010_0009)
  public static let timeout = PCSCError(rawValue: 0x8010_000A)
  public static let sharingViolation = PCSCError(rawValue: 0x8010_000B)
  public static let noSmartcard = PCSCError(rawValue: 0x8010_000C)
  public static let unknownCard = PCSCError(rawValue: 0x8010_000D)
  public static let protoMismatch = PCSCError(rawValue: 0x8010_000F)
  public static let notReady = PCSCError(rawValue: 0x8010_0010)
  public static let invalidValue = PCSCError(rawValue: 0x8010_0011)
  public static let systemCancelled = PCSCError(rawValue: 0x8010_0012)
  public static let commError = PCSCError(rawValue: 0x8010_0013)
  public static let unknownError = PCSCError(rawValue: 0x8010_0014)
  public static let invalidATR = PCSCError(rawValue: 0x8010_0015)
  public static let notTransacted = PCSCError(rawValue: 0x8010_0016)
  public static let readerUnavailable = PCSCError(rawValue: 0x8010_0017)
  public static let pciTooSmall = PCSCError(rawValue: 0x8010_0019)
  public static let readerUnsupported = PCSCError(rawValue: 0x8010_001A)
  public static let cardUnsupported = PCSCError(rawValue: 0x8010_001C)
  public static let noService = PCSCError(rawValue: 0x8010_001D)
  public static let serviceStopped = PCSCError(rawValue: 0x8010_001E)
  public static let unexpected = PCSCError(rawValue: 0x8010_001F)
  public static let noReadersAvailable = PCSCError(rawValue: 0x8010_002E)
  public static let unsupportedFeature = PCSCError(rawValue: 0x8010_0022)
  public static let unsupportedCard = PCSCError(rawValue: 0x8010_0065)
  public static let unresponsiveCard = PCSCError(rawValue: 0x8010_0066)
  public static let unpoweredCard = PCSCError(rawValue: 0x8010_0067)
  public static let resetCard = PCSCError(rawValue: 0x8010_0068)
  public static let removedCard = PCSCError(rawValue: 0x8010_0069)

  private static let names: [UInt32: String] = [
    0x8010_0001: "SCARD_F_INTERNAL_ERROR", 0x8010_0002: "SCARD_E_CANCELLED",
    0x8010_0003: "SCARD_E_INVALID_HANDLE", 0x8010_0004: "SCARD_E_INVALID_PARAMETER",
    0x8010_0006: "SCARD_E_NO_MEMORY", 0x8010_0008: "SCARD_E_INSUFFICIENT_BUFFER",
    0x8010_0009: "SCARD_E_UNKNOWN_READER", 0x8010_000A: "SCARD_E_TIMEOUT",
    0x8010_000B: "SCARD_E_SHARING_VIOLATION", 0x8010_000C: "SCARD_E_NO_SMARTCARD",
    0x8010_000D: "SCARD_E_UNKNOWN_CARD", 0x8010_000F: "SCARD_E_PROTO_MISMATCH",
    0x8010_0010: "SCARD_E_NOT_READY", 0x8010_0011: "SCARD_E_INVALID_VALUE",
    0x8010_0012: "SCARD_E_SYSTEM_CANCELLED", 0x8010_0013: "SCARD_F_COMM_ERROR",
    0x8010_0014: "SCARD_F_UNKNOWN_ERROR", 0x8010_0015: "SCARD_E_INVALID_ATR",
    0x8010_0016: "SCARD_E_NOT_TRANSACTED", 0x8010_0017: "SCARD_E_READER_UNAVAILABLE",
    0x8010_0019: "SCARD_E_PCI_TOO_SMALL", 0x8010_001A: "SCARD_E_READER_UNSUPPORTED",
    0x8010_001C: "SCARD_E_CARD_UNSUPPORTED", 0x8010_001D: "SCARD_E_NO_SERVICE",
    0x8010_001E: "SCARD_E_SERVICE_STOPPED", 0x8010_001F: "SCARD_E_UNEXPECTED",
    0x8010_0022: "SCARD_E_UNSUPPORTED_FEATURE", 0x8010_002E: "SCARD_E_NO_READERS_AVAILABLE",
    0x8010_0065: "SCARD_W_UNSUPPORTED_CARD", 0x8010_0066: "SCARD_W_UNRESPONSIVE_CARD",
    0x8010_0067: "SCARD_W_UNPOWERED_CARD", 0x8010_0068: "SCARD_W_RESET_CARD",
    0x8010_0069: "SCARD_W_REMOVED_CARD",
  ]

  /// The pcsc-lite name, e.g. `SCARD_W_REMOVED_CARD`.
  public var name: String {
    Self.names[rawValue] ?? "SCARD_0x\(Hex.encode(withUnsafeBytes(of: rawValue.bigEndian) { Array($0) }))"
  }

  public var description: String { "\(name) (0x\(Hex.encode(withUnsafeBytes(of: rawValue.bigEndian) { Array($0) })))" }

  /// The service is gone or the context is dead: release, back off, re-establish.
  public var meansServiceLost: Bool {
    self == .noService || self == .commError || self == .invalidHandle || self == .serviceStopped
  }

  /// The same failure in the reader layer's terms.
  public func readerError(_ context: String) -> CardReaderError {
    let kind: CardReaderError.Kind
    switch self {
    case .removedCard: kind = .cardRemoved
    case .resetCard: kind = .cardReset
    case .noSmartcard: kind = .noCard
    case .unresponsiveCard, .unpoweredCard, .unsupportedCard, .invalidATR, .notTransacted:
      kind = .cardUnresponsive
    case .unknownReader, .readerUnavailable, .readerUnsupported: kind = .readerUnavailable
    case .noService, .commError, .invalidHandle, .serviceStopped, .noReadersAvailable: kind = .serviceUnavailable
    case .sharingViolation: kind = .sharingViolation
    case .timeout: kind = .timeout
    case .cancelled, .systemCancelled: kind = .cancelled
    default: kind = .other
    }
    // No pcscd to talk to: say how to get one, not only the code.
    let hint = self == .noService ? " (pcscd is not running: start it with `sudo pcscd -f`, or use --simulated)" : ""
    return CardReaderError(kind, "\(context): \(name)\(hint)", code: rawValue)
  }
}

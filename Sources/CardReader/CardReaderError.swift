/// An error of the reader layer, the same for every reader implementation.
///
/// `kind` is what the firmware switches on; `message` says what happened in words a
/// technician can act on; `code` keeps the driver's own code (for PC/SC, the SCARD_* value).
public struct CardReaderError: Error, Hashable, Sendable, CustomStringConvertible {
  /// What went wrong, independent of the reader stack.
  public enum Kind: String, Hashable, Sendable, CaseIterable {
    /// The card left the field (pulled away mid-exchange or before connect).
    case cardRemoved
    /// The card was reset by another client; a reconnect is needed.
    case cardReset
    /// No card is present in the reader.
    case noCard
    /// The card does not answer (mute) or answered with an unusable ATR.
    case cardUnresponsive
    /// The reader is gone (unplugged) or unknown.
    case readerUnavailable
    /// The reader service (pcscd) is unreachable; it may be restarting.
    case serviceUnavailable
    /// Another application holds the card exclusively.
    case sharingViolation
    /// An exchange took longer than its deadline.
    case timeout
    /// The card's answer breaks the APDU rules (no SW, oversized, endless 61xx).
    case malformedResponse
    /// The command could not be encoded (lengths out of range).
    case invalidCommand
    /// The operation was cancelled (shutdown).
    case cancelled
    /// The session was already closed.
    case sessionClosed
    /// Anything else, with the driver's code.
    case other
  }

  public var kind: Kind
  public var message: String
  /// The driver's error code, if any (e.g. 0x80100069 for SCARD_W_REMOVED_CARD).
  public var code: UInt32?

  public init(_ kind: Kind, _ message: String, code: UInt32? = nil) {
    self.kind = kind
    self.message = message
    self.code = code
  }

  public var description: String { "\(kind.rawValue): \(message)" }
}

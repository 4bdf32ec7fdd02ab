import CardReader

/// Why a card could not be identified. `reason` is stable (for JSON and tests); `message`
/// says what was wrong in words a cashier's supervisor can act on.
public struct CardIdentificationError: Error, Hashable, Sendable, CustomStringConvertible {
  /// The stable reason code.
  public enum Reason: String, Hashable, Sendable {
    case malformedATR
    case nonDigitNumber
    case wrongNumberLength
    case luhnCheckFailed
    case randomUID
    case invalidUID
    case malformedNDEF
    case appletError
    case noLoyaltyIdentity
    /// The reader failed (card pulled away, timeout, service lost); see `readerError`.
    case readerError
  }

  public var reason: Reason
  public var message: String
  /// The reader error behind a `readerError`.
  public var readerError: CardReaderError?

  public init(_ reason: Reason, _ message: String, readerError: CardReaderError? = nil) {
    self.reason = reason
    self.message = message
    self.readerError = readerError
  }

  init(_ error: CardReaderError) {
    self.init(.readerError, error.description, readerError: error)
  }

  public var description: String { message }
}

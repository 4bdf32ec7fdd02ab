import CardIdentification
import LoyaltyCore

/// Something that happens at the counter, or the answer to something the counter asked for.
public enum CounterInput: Sendable {
  /// A card was read on the reader (or could not be).
  case tap(TapResult)
  /// The card left the reader.
  case cardRemoved
  case key(CounterKey)
  /// The barcode scanner read a code: a receipt, or a card ID.
  case scan(String)
  /// Time passed: checks the current screen's timeout.
  case tick
  /// The program storage holds (the categories and catalogue the keypad offers).
  case program(LoyaltyProgram?)
  /// Storage's answer to `CounterEffect.identify`.
  case identified(card: String, Result<CardholderView, CounterFailure>)
  /// Storage's answer to `CounterEffect.record`.
  case recorded(CounterOperation, Result<RecordOutcome, CounterFailure>)
}

/// What the state machine asks its driver to do.
public enum CounterEffect: Hashable, Sendable {
  case draw(Screen)
  case signal(CounterSignal)
  /// Look the card up; answer with `.identified`.
  case identify(card: String, at: UTCInstant)
  /// Write the operation durably; answer with `.recorded`.
  case record(CounterOperation, OperationContext)
  /// A line for the operator's log, with structured metadata.
  case log(String, metadata: [String: String])
}

/// What storage did for a confirmed operation.
public enum RecordOutcome: Hashable, Sendable {
  case enrolled(account: String)
  case earned(EarnReceipt)
  case redeemed(item: String, points: Int64, balance: Int64)
  case refunded(receipt: String, reversed: Int64, balance: Int64)
  case blocked(card: String)
}

/// Why storage refused or failed: the rule's reason when a rule refused.
public struct CounterFailure: Error, Hashable, Sendable {
  public var reason: RuleError.Reason?
  public var message: String
  /// What the display shows, when the rule says it shorter than its message.
  public var screenLines: [String]?

  public init(_ error: any Error) {
    if let rule = error as? RuleError {
      reason = rule.reason
      message = rule.message
      screenLines = rule.screenLines
    } else {
      reason = nil
      message = "\(error)"
    }
  }
}

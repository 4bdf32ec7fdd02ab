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
  /// The program storage holds (the categories and catalogue the keypad offers), and whether
  /// this counter is on its own (it never syncs with HQ).
  case program(LoyaltyProgram?, standAlone: Bool = false)
  /// The card reader went away (unplugged, its service lost) or came back.
  case reader(online: Bool)
  /// Storage's answer to `CounterEffect.identify`.
  case identified(card: CardID, Result<CardholderView, CounterFailure>)
  /// Storage's answer to `CounterEffect.findReceipt`.
  case receiptFound(String, Result<ReceiptStatus, CounterFailure>)
  /// Storage's answer to `CounterEffect.check`: what the operation would do.
  case checked(CounterOperation, Result<RecordOutcome, CounterFailure>)
  /// Storage's answer to `CounterEffect.record`.
  case recorded(CounterOperation, Result<RecordOutcome, CounterFailure>)
}

/// What the state machine asks its driver to do.
public enum CounterEffect: Hashable, Sendable {
  case draw(Screen)
  case signal(CounterSignal)
  /// Look the card up; answer with `.identified`.
  case identify(card: CardID, at: UTCInstant)
  /// Look a receipt up for a refund (another counter's through `card`, the customer's, tapped
  /// first); answer with `.receiptFound`.
  case findReceipt(String, terminal: String, card: CardID? = nil)
  /// Run the operation's decision without writing anything; answer with `.checked`.
  case check(CounterOperation, OperationContext)
  /// Write the operation durably; answer with `.recorded`.
  case record(CounterOperation, OperationContext)
  /// A line for the operator's log, with structured metadata.
  case log(String, metadata: [String: String])
}

/// What storage did (or, checked, would do) for an operation.
public enum RecordOutcome: Hashable, Sendable {
  case enrolled(account: String)
  case earned(EarnReceipt)
  case redeemed(item: String, points: Int64, balance: Int64)
  case refunded(receipt: String, reversed: Int64, balance: Int64)
  case blocked(card: CardID)
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

  /// Whether trying again later may succeed (a repeat tap, the hourly limit, a storage fault),
  /// so the basket is worth keeping.
  var mayPassLater: Bool {
    switch reason {
    case .duplicateReceipt, .invalidAmount, .overflow, .blockedCard, .noProgram, .wrongTerminal: false
    default: true
    }
  }
}

import LoyaltyCore

/// Where the counter is in serving a customer.
public enum CounterState: Sendable {
  /// Waiting for a card (or a cashier's refund/block).
  case idle
  /// A card was read and is being looked up in storage.
  case reading(card: String)
  /// A known card: cardholder shown; purchase or redeem next.
  case identified(CardholderView)
  /// A card this counter does not know: OK enrols it (a referrer's card may be scanned first).
  case unknownCard(card: String, referrer: String?)
  /// A purchase being entered: lines so far, the category picked (if any), the amount typed.
  /// Without a cardholder, a sale entered before the card is presented (kept a few minutes for
  /// a late tap).
  case basket(CardholderView?, lines: [PurchaseLine], category: String?, typed: String)
  /// Picking a catalogue item to redeem.
  case redeemMenu(CardholderView)
  /// A refund: the receipt scanned (if yet) and the amount typed.
  case refundEntry(receipt: String?, typed: String)
  /// Blocking a lost card: its ID scanned (if yet).
  case blockEntry(card: String?)
  /// Waiting for OK to record `operation`.
  case confirm(CounterOperation)
  /// `operation` is being written: nothing the card, the clock or the keypad does now can say
  /// "nothing recorded"; the outcome shows when the write returns.
  case recording(CounterOperation)
  /// An outcome shown until the card is removed or the message times out: a receipt, a
  /// refusal, an unreadable or blocked card, a card pulled away.
  case message(CounterMessage)

  public var name: String {
    switch self {
    case .idle: "idle"
    case .reading: "reading"
    case .identified: "identified"
    case .unknownCard: "unknownCard"
    case .basket: "basket"
    case .redeemMenu: "redeemMenu"
    case .refundEntry: "refundEntry"
    case .blockEntry: "blockEntry"
    case .confirm: "confirm"
    case .recording: "recording"
    case .message(let m): m.kind.rawValue
    }
  }
}

/// An operation waiting for the cashier's OK.
public enum CounterOperation: Hashable, Sendable {
  case enroll(card: String, referrer: String?)
  /// A purchase: `provisional` on a card this counter does not know; `soldAt` when the card was
  /// presented after the sale was entered (the earn is the sale's, at its time).
  case purchase(
    card: String, lines: [PurchaseLine], receipt: String?, provisional: Bool = false, soldAt: UTCInstant? = nil)
  case redeem(card: String, item: String, points: Int64)
  case refund(receipt: String, amount: Int64)
  case block(card: String)

  /// A word for logs.
  public var name: String {
    switch self {
    case .enroll: "enroll"
    case .purchase: "purchase"
    case .redeem: "redeem"
    case .refund: "refund"
    case .block: "block"
    }
  }

  /// The card that must stay on the reader until OK, if any.
  var card: String? {
    switch self {
    case .enroll(let card, _), .purchase(let card, _, _, _, _), .redeem(let card, _, _): card
    case .refund, .block: nil
    }
  }
}

/// A sale entered without a card, kept a few minutes for the card to be presented after payment.
public struct CardlessSale: Hashable, Sendable {
  public var lines: [PurchaseLine]
  public var receipt: String?
  public var at: UTCInstant
}

/// What a message screen says, and why.
public struct CounterMessage: Hashable, Sendable {
  public enum Kind: String, Hashable, Sendable {
    case receipt, refused, unreadable, blocked, cardRemoved, cancelled, timedOut
  }
  public var kind: Kind
  public var lines: [String]
  /// For a refusal: the reason, as the rules give it.
  public var reason: String?
}

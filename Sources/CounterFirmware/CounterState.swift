import LoyaltyCore

/// Where the counter is in serving a customer.
public enum CounterState: Sendable {
  /// Waiting for a card (or a cashier's refund/block, or a sale entered before the card).
  case idle
  /// A card was read and is being looked up in storage.
  case reading(card: CardID)
  /// A known card: cardholder shown; purchase or redeem next.
  case identified(CardholderView)
  /// A card this counter does not know: OK enrols it (a referrer's card may be scanned first).
  case unknownCard(card: CardID, referrer: CardID?)
  /// A purchase being entered: lines so far, the category picked (if any), the amount typed.
  /// Without a cardholder, a sale entered before the card is presented (kept a few minutes for
  /// a late tap).
  case basket(CardholderView?, lines: [PurchaseLine], category: String?, typed: String)
  /// Picking a catalogue item to redeem: the items the balance pays for, `page` of them shown.
  case redeemMenu(CardholderView, page: Int)
  /// A refund: the receipt scanned and found (if yet) and the amount typed.
  case refundEntry(receipt: ReceiptStatus?, typed: String)
  /// A scanned receipt being looked up for a refund.
  case findingReceipt(String)
  /// Blocking a lost card: its ID tapped or scanned (if yet).
  case blockEntry(card: CardID?)
  /// Storage checks `operation` without recording it: what it would do, or why it is refused,
  /// is known before the cashier confirms.
  case checking(CounterOperation)
  /// Waiting for OK to record `operation`; `preview` is what storage said it will do.
  case confirm(CounterOperation, preview: RecordOutcome)
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
    case .findingReceipt: "findingReceipt"
    case .blockEntry: "blockEntry"
    case .checking: "checking"
    case .confirm: "confirm"
    case .recording: "recording"
    case .message(let m): m.kind.rawValue
    }
  }
}

/// An operation waiting for the cashier's OK.
public enum CounterOperation: Hashable, Sendable {
  case enroll(card: CardID, referrer: CardID?)
  /// A purchase: `provisional` on a card this counter does not know; `soldAt` when the card was
  /// presented after the sale was entered (the earn is the sale's, at its time).
  case purchase(
    card: CardID, lines: [PurchaseLine], receipt: String?, provisional: Bool = false, soldAt: UTCInstant? = nil)
  case redeem(card: CardID, item: String, points: Int64)
  /// A refund: `card`, the customer's, when it was tapped first (it finds another counter's
  /// receipt, `ReceiptStatus.card`).
  case refund(receipt: String, amount: Int64, card: CardID? = nil)
  case block(card: CardID)

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
  var card: CardID? {
    switch self {
    case .enroll(let card, _), .purchase(let card, _, _, _, _), .redeem(let card, _, _): card
    case .refund, .block: nil
    }
  }
}

/// A sale waiting for a card: entered before the card was presented (for any card), or a
/// basket whose card was lifted or refused before it was recorded (for that card only). The
/// next matching card read within `lateCardSeconds` of `at` is offered it.
public struct WaitingSale: Hashable, Sendable {
  public var lines: [PurchaseLine]
  public var receipt: String?
  /// When it started waiting.
  public var at: UTCInstant
  /// A sale entered before the card: earned at this time when a card is added.
  public var soldAt: UTCInstant?
  /// The only card it is for, when it was that card's basket.
  public var card: CardID?

  public var total: Int64 { lines.reduce(0) { $0 &+ $1.amount } }
}

/// A receipt as a refund screen shows it.
public struct ReceiptStatus: Hashable, Sendable {
  /// The chain's name for it (`T01/R100`).
  public var id: String
  public var amount: Int64
  public var refunded: Int64
  /// The customer's card it was found through (another counter's receipt), or nil.
  public var card: CardID?

  public init(id: String, amount: Int64, refunded: Int64, card: CardID? = nil) {
    self.id = id
    self.amount = amount
    self.refunded = refunded
    self.card = card
  }

  /// What can still be refunded.
  public var left: Int64 { max(0, amount - refunded) }
}

/// What a message screen says, and why.
public struct CounterMessage: Hashable, Sendable {
  public enum Kind: String, Hashable, Sendable {
    case receipt, refused, unreadable, blocked, cardRemoved, cancelled, timedOut
  }
  public var kind: Kind
  /// Every line of the message; more than four are paged, three at a time, with OK.
  public var lines: [String]
  /// For a refusal: the reason, as the rules give it.
  public var reason: String?
  /// The page shown (0-based).
  public var page = 0

  public init(kind: Kind, lines: [String], reason: String? = nil) {
    self.kind = kind
    self.lines = lines
    self.reason = reason
  }

  /// Lines per page when paged (the fourth says OK=more).
  static let pageLines = 3
  public var pages: Int { lines.count <= Screen.height ? 1 : (lines.count + Self.pageLines - 1) / Self.pageLines }
  public var hasMore: Bool { page + 1 < pages }
}

extension CounterState {
  /// The cardholder this screen is about, if any.
  public var cardholder: CardholderView? {
    switch self {
    case .identified(let v), .redeemMenu(let v, _): v
    case .basket(let v, _, _, _): v
    default: nil
    }
  }
}

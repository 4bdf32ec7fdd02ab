import CardIdentification
import LoyaltyCore

/// The counter's firmware as a value: an input and the time in, the new state and the effects to
/// perform out (draw, signal, look up, check, record, log), as swift-nio's state machines return
/// actions.
///
/// It never waits: a look-up, a check or a write is an effect, and its answer comes back as an
/// input. While a write is in flight the state is `.recording`, in which a lifted card, a tick or
/// a key changes nothing, so no screen can say "nothing recorded" for an operation that is being
/// recorded. Every (state, input) pair is handled explicitly; what a state ignores is listed.
public struct CounterMachine: Sendable {
  public struct Settings: Sendable {
    public var terminal: String
    public var operatorId: String
    /// Seconds a customer screen waits for the cashier before going back to idle.
    public var idleTimeout: Int64 = 60
    /// Seconds a message (receipt, refusal) stays up when the card is not removed.
    public var messageTimeout: Int64 = 8
    /// Seconds a waiting sale (entered before the card, or kept for its card) waits.
    public var lateCardSeconds: Int64 = 300

    public init(terminal: String, operatorId: String = "counter") {
      self.terminal = terminal
      self.operatorId = operatorId
    }
  }

  public let settings: Settings
  public private(set) var state: CounterState = .idle
  /// When the current screen times out (none while idle or recording).
  public private(set) var deadline: UTCInstant?
  public private(set) var program: LoyaltyProgram?
  /// A counter on its own: it never syncs, so no screen promises a sync.
  public private(set) var standAlone = false
  /// Whether the card reader is there; the idle screen says so when it is not.
  public private(set) var readerOnline = true
  /// A receipt number scanned before the basket's first line, kept for the purchase.
  var pendingReceipt: String?
  /// The sale waiting for a card, while one may still be added to it.
  public internal(set) var waitingSale: WaitingSale?
  /// The card on the reader now, and what its last look-up said (a provisional view when the
  /// counter does not know it).
  public internal(set) var presented: CardID?
  var presentedView: CardholderView?
  /// The customer's card a refund was started from (Refund on its cardholder's screen): another
  /// counter's receipt is found through it. Nil for a refund started at idle.
  public internal(set) var refundCard: CardID?
  /// What the cashier asked for while the card on the reader was being read again.
  var afterReading: CounterKey?
  /// A one-off hint shown on the next screen's last line (a key that does nothing here, why).
  var notice: String?
  /// Where OK leaves a refusal for: the screen the refused operation was started from.
  var afterMessage: CounterState?
  var effects: [CounterEffect] = []
  var now = UTCInstant(seconds: 0)

  public init(settings: Settings) { self.settings = settings }

  /// The current screen (the idle one at power-on).
  public var screen: Screen {
    Screen(rawScreenLines)
  }

  /// The current screen's lines as the screens give them (four, before any clipping to 20
  /// characters; the screen catalogue test checks none needs it), a notice on the last.
  public var rawScreenLines: [String] {
    var lines = CounterScreens.lines(for: self)
    while lines.count < Screen.height { lines.append("") }
    if let notice { lines[Screen.height - 1] = notice }
    return lines
  }

  /// Handles one input at `now`; returns what to do, the new screen last.
  public mutating func handle(_ input: CounterInput, at now: UTCInstant) -> [CounterEffect] {
    self.now = now
    effects = []
    switch input {
    case .tap, .cardRemoved, .key, .scan: notice = nil
    case .tick, .program, .reader, .identified, .receiptFound, .checked, .recorded: break
    }
    switch input {
    case .tap(let tap): tapped(tap)
    case .cardRemoved: cardRemoved()
    case .key(let key): pressed(key)
    case .scan(let code): scanned(code)
    case .tick: ticked()
    case .program(let program, let standAlone):
      self.program = program
      self.standAlone = standAlone
    case .reader(let online): readerOnline = online
    case .identified(let card, let result): lookedUp(card, result)
    case .receiptFound(let id, let result): foundReceipt(id, result)
    case .checked(let operation, let result): checked(operation, result)
    case .recorded(let operation, let result): finished(operation, result)
    }
    effects.append(.draw(screen))
    return effects
  }

  mutating func go(_ next: CounterState) {
    state = next
    switch next {
    case .message, .checking, .confirm, .recording: break
    default: afterMessage = nil
    }
    switch next {
    case .idle, .recording, .checking, .findingReceipt: deadline = nil
    case .message: deadline = now.adding(seconds: settings.messageTimeout)
    case .reading, .identified, .unknownCard, .basket, .redeemMenu, .refundEntry, .blockEntry, .confirm:
      deadline = now.adding(seconds: settings.idleTimeout)
    }
  }

  mutating func show(_ kind: CounterMessage.Kind, _ lines: [String], reason: String? = nil) {
    effects.append(.signal(kind == .receipt ? .success : .failure))
    go(.message(CounterMessage(kind: kind, lines: lines, reason: reason)))
  }

  mutating func log(_ message: String, _ metadata: [String: String]) {
    effects.append(.log(message, metadata: metadata))
  }

  /// A refusal, with what became of the basket when one was kept for the card (`kept`).
  mutating func refused(_ failure: CounterFailure, kept: [String] = []) {
    log("refused", ["reason": failure.message, "code": failure.reason?.rawValue ?? "storage", "state": state.name])
    show(.refused, ["Refused"] + CounterScreens.refusalLines(failure) + kept, reason: failure.message)
  }

  mutating func cancelled() { show(.cancelled, ["Cancelled", "Nothing recorded"]) }

  /// OK on a message's last page: the screen a refusal interrupted, while its card is still on
  /// the reader; else the card on the reader, read again; else idle.
  mutating func leaveMessage() {
    let next = afterMessage
    afterMessage = nil
    switch next {
    case .refundEntry(let receipt?, _): go(.refundEntry(receipt: receipt, typed: ""))
    case .unknownCard(let card, _) where card == presented: go(.unknownCard(card: card, referrer: nil))
    case .identified(let view) where view.card == presented?.text: go(.identified(view))
    case .redeemMenu(let view, _) where view.card == presented?.text: go(.redeemMenu(view, page: 0))
    default:
      if let card = presented { read(card) } else { go(.idle) }
    }
  }

  var context: OperationContext {
    OperationContext(terminal: settings.terminal, operator: settings.operatorId, at: now)
  }

  /// Asks storage what `operation` would do; the confirm screen shows it.
  mutating func check(_ operation: CounterOperation) {
    // A refused purchase leaves its cardholder on their own screen (its basket kept for P).
    if case .purchase = operation, let card = presented, let view = presentedView {
      afterMessage = view.provisional ? .unknownCard(card: card, referrer: nil) : .identified(view)
    }
    go(.checking(operation))
    effects.append(.check(operation, context(for: operation)))
  }

  /// A card added to a sale after payment earns as the sale did, at its time.
  func context(for operation: CounterOperation) -> OperationContext {
    var c = context
    if case .purchase(_, _, _, _, let soldAt?) = operation { c.at = soldAt }
    return c
  }

  mutating func ticked() {
    if case .idle = state, let sale = waitingSale, !stillWaiting(sale) {
      waitingSale = nil
      log("waiting sale expired", ["lines": "\(sale.lines.count)"])
      show(
        .timedOut,
        ["Waiting sale of", CounterScreens.money(sale.total, program), "expired: no points", "were added."])
      return
    }
    guard let deadline, now >= deadline else { return }
    switch state {
    case .message: go(.idle)
    case .confirm(let op, _):
      show(.timedOut, ["Timed out"] + (putBack(op) ? keptLines(op) : ["Nothing recorded"]))
    case .reading, .identified, .unknownCard, .basket, .redeemMenu, .refundEntry, .blockEntry:
      show(.timedOut, ["Timed out", "Nothing recorded"])
    case .idle, .recording, .checking, .findingReceipt:
      break  // no deadline is set in these
    }
  }

  mutating func scanned(_ code: String) {
    let code = String(code.prefix(64))
    switch state {
    case .refundEntry(_, let typed) where typed.isEmpty:
      go(.findingReceipt(code))
      effects.append(.findReceipt(code, terminal: settings.terminal, card: refundCard))
    case .blockEntry(nil):
      if let card = scannedCard(code) { go(.blockEntry(card: card)) }
    case .unknownCard(let card, _):
      guard let referrer = scannedCard(code) else { return }
      guard referrer != card else {
        notice = "Not the card itself"
        return
      }
      go(.unknownCard(card: card, referrer: referrer))
    case .idle:
      // A receipt scanned at idle starts its refund; a card must be tapped.
      if (try? CardID(parsing: code)) != nil {
        notice = "Tap the card itself"
      } else {
        refundCard = nil
        go(.findingReceipt(code))
        effects.append(.findReceipt(code, terminal: settings.terminal))
      }
    case .basket(let view, let lines, let category, let typed) where lines.isEmpty && category == nil && typed.isEmpty:
      // A receipt number from the till before the lines: kept on the purchase.
      pendingReceipt = code
      go(.basket(view, lines: lines, category: category, typed: typed))
    case .reading, .identified, .basket, .redeemMenu, .refundEntry, .findingReceipt, .blockEntry, .checking,
      .confirm, .recording, .message:
      log("scan ignored", ["state": state.name])
      notice = "Scan not used here"
    }
  }

  /// A scanned card number, or nil with the reason on the screen.
  mutating func scannedCard(_ code: String) -> CardID? {
    do throws(RuleError) {
      return try CardID(parsing: code)
    } catch {
      log("scanned code is not a card", ["reason": error.message])
      notice = "Not a card number"
      return nil
    }
  }
}

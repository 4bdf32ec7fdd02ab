import CardIdentification
import LoyaltyCore

/// The counter's firmware as a value: an input and the time in, the new state and the effects to
/// perform out (draw, signal, look up, record, log), as swift-nio's state machines return actions.
///
/// It never waits: a look-up or a write is an effect, and its answer comes back as an input. While
/// a write is in flight the state is `.recording`, in which a lifted card, a tick or a key changes
/// nothing, so no screen can say "nothing recorded" for an operation that is being recorded.
/// Every (state, input) pair is handled explicitly; what a state ignores is listed.
public struct CounterMachine: Sendable {
  public struct Settings: Sendable {
    public var terminal: String
    public var operatorId: String
    /// Seconds a customer screen waits for the cashier before going back to idle.
    public var idleTimeout: Int64 = 60
    /// Seconds a message (receipt, refusal) stays up when the card is not removed.
    public var messageTimeout: Int64 = 8
    /// Seconds a sale entered without a card waits for the card (presented after payment).
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
  /// A receipt number scanned before the basket's first line, kept for the purchase.
  var pendingReceipt: String?
  /// The last sale entered without a card, while a card may still be added to it.
  public internal(set) var cardlessSale: CardlessSale?
  var effects: [CounterEffect] = []
  var now = UTCInstant(seconds: 0)

  public init(settings: Settings) { self.settings = settings }

  /// The current screen (the idle one at power-on).
  public var screen: Screen {
    if case .idle = state { return CounterScreens.idle(waitingFor: openSale, program: program) }
    return CounterScreens.screen(for: state, program: program)
  }

  /// The card-less sale a tap now would be offered, if it is still within `lateCardSeconds`.
  var openSale: CardlessSale? {
    guard let sale = cardlessSale, now >= sale.at, now.seconds - sale.at.seconds <= settings.lateCardSeconds else {
      return nil
    }
    return sale
  }

  /// Handles one input at `now`; returns what to do, the new screen last.
  public mutating func handle(_ input: CounterInput, at now: UTCInstant) -> [CounterEffect] {
    self.now = now
    effects = []
    switch input {
    case .tap(let tap): tapped(tap)
    case .cardRemoved: cardRemoved()
    case .key(let key): pressed(key)
    case .scan(let code): scanned(code)
    case .tick: ticked()
    case .program(let program): self.program = program
    case .identified(let card, let result): lookedUp(card, result)
    case .recorded(let operation, let result): finished(operation, result)
    }
    effects.append(.draw(screen))
    return effects
  }

  mutating func go(_ next: CounterState) {
    state = next
    switch next {
    case .idle, .recording: deadline = nil
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

  mutating func refused(_ failure: CounterFailure) {
    log("refused", ["reason": failure.message, "code": failure.reason?.rawValue ?? "storage", "state": state.name])
    // The display shows a card as receipts do (****7895), never its whole number.
    show(
      .refused,
      ["Refused"]
        + (failure.screenLines ?? CounterScreens.wrap(CounterScreens.maskingCards(failure.message), lines: 3)),
      reason: failure.message)
  }

  // MARK: The reader

  mutating func tapped(_ tap: TapResult) {
    switch state {
    case .recording:
      log("tap ignored while recording", ["reader": tap.reader])
      return
    case .blockEntry(nil):
      if case .success(let identity) = tap.outcome {
        go(.blockEntry(card: identity.id))
        return
      }
    case .idle, .reading, .identified, .unknownCard, .basket, .redeemMenu, .refundEntry, .blockEntry, .confirm,
      .message:
      break
    }
    switch tap.outcome {
    case .failure(let error):
      log("unreadable card", ["reader": tap.reader, "error": "\(error)"])
      show(.unreadable, ["Card not readable", "Please tap again"], reason: "\(error)")
    case .success(let identity):
      go(.reading(card: identity.id))
      effects.append(.identify(card: identity.id, at: now))
    }
  }

  mutating func lookedUp(_ card: String, _ result: Result<CardholderView, CounterFailure>) {
    // An answer for a card no longer being read (lifted, or another tapped) is stale.
    guard case .reading(card) = state else {
      log("stale look-up ignored", ["card": card, "state": state.name])
      return
    }
    switch result {
    case .success(let view) where view.blocked:
      show(.blocked, ["Card blocked", "Account is intact:", "ask at customer desk"], reason: "card is blocked")
    case .success(let view):
      effects.append(.signal(.success))
      if let sale = takeOpenSale() {
        go(.confirm(.purchase(card: view.card, lines: sale.lines, receipt: sale.receipt, soldAt: sale.at)))
      } else {
        go(.identified(view))
      }
    case .failure(let failure) where failure.reason == .unknownCard:
      effects.append(.signal(.attention))
      if let sale = takeOpenSale() {
        go(
          .confirm(.purchase(card: card, lines: sale.lines, receipt: sale.receipt, provisional: true, soldAt: sale.at)))
      } else {
        go(.unknownCard(card: card, referrer: nil))
      }
    case .failure(let failure):
      refused(failure)
    }
  }

  /// The open card-less sale, offered once to the card just read.
  mutating func takeOpenSale() -> CardlessSale? {
    defer { cardlessSale = nil }
    return openSale
  }

  /// A sale offered to a card and not recorded (cancelled, card lifted, refused) waits again for
  /// the right card, within its own five minutes. Whether one was put back.
  @discardableResult
  mutating func putBackSale(of operation: CounterOperation) -> Bool {
    guard case .purchase(_, let lines, let receipt, _, let soldAt?) = operation else { return false }
    cardlessSale = CardlessSale(lines: lines, receipt: receipt, at: soldAt)
    return openSale != nil
  }

  mutating func cardRemoved() {
    switch state {
    case .reading, .message: go(.idle)
    case .basket(nil, _, _, _): break  // a sale entered without a card
    case .identified, .unknownCard, .basket, .redeemMenu:
      show(.cardRemoved, ["Card removed", "Nothing recorded"])
    case .confirm(let op) where op.card != nil:
      show(.cardRemoved, ["Card removed", putBackSale(of: op) ? "Sale kept for a card" : "Nothing recorded"])
    case .recording(let op):
      log("card removed while recording; the outcome will show", ["operation": op.name])
    case .idle, .refundEntry, .blockEntry, .confirm:
      break  // no card was needed here
    }
  }

  mutating func ticked() {
    guard let deadline, now >= deadline else { return }
    switch state {
    case .message: go(.idle)
    case .confirm(let op):
      show(.timedOut, ["Timed out", putBackSale(of: op) ? "Sale kept for a card" : "Nothing recorded"])
    case .reading, .identified, .unknownCard, .basket, .redeemMenu, .refundEntry, .blockEntry:
      show(.timedOut, ["Timed out", "Nothing recorded"])
    case .idle, .recording:
      break  // no deadline is set in these
    }
  }

  mutating func scanned(_ code: String) {
    let code = String(code.prefix(64))
    switch state {
    case .refundEntry(nil, let typed): go(.refundEntry(receipt: code, typed: typed))
    case .blockEntry(nil): go(.blockEntry(card: code))
    case .unknownCard(let card, _): go(.unknownCard(card: card, referrer: code))
    case .basket(let view, let lines, let category, let typed) where lines.isEmpty && category == nil && typed.isEmpty:
      // A receipt number from the till before the lines: kept on the purchase.
      pendingReceipt = code
      go(.basket(view, lines: lines, category: category, typed: typed))
    case .idle, .reading, .identified, .basket, .redeemMenu, .refundEntry, .blockEntry, .confirm, .recording,
      .message:
      log("scan ignored", ["state": state.name])
    }
  }

  mutating func finished(_ operation: CounterOperation, _ result: Result<RecordOutcome, CounterFailure>) {
    guard case .recording(operation) = state else {
      log("a write answered outside its recording state", ["operation": operation.name, "state": state.name])
      return
    }
    switch result {
    case .success(let outcome): show(.receipt, Self.receiptLines(outcome, for: operation))
    case .failure(let failure):
      putBackSale(of: operation)
      refused(failure)
    }
  }

  static func receiptLines(_ outcome: RecordOutcome, for operation: CounterOperation) -> [String] {
    switch outcome {
    case .enrolled:
      if case .enroll(_, .some(let referrer)) = operation {
        ["Welcome!", "Card enrolled", "Referred by \(CounterScreens.masked(referrer))"]
      } else {
        ["Welcome!", "Card enrolled", ""]
      }
    case .earned(let r) where r.provisional:
      // A card this counter does not know: no balance (it is not the cardholder's here).
      [
        "+\(r.points) points", "added at next sync", "",
        r.receipt.count <= 12 ? "Receipt \(r.receipt)" : r.receipt,
      ]
    case .earned(let r):
      // The whole receipt number, for a later refund: "Receipt R77", or the bare number when long.
      [
        "+\(r.points) points", "Balance \(r.balance)", r.tier,
        r.receipt.count <= 12 ? "Receipt \(r.receipt)" : r.receipt,
      ]
    case .redeemed(let item, let points, let balance): ["Redeemed \(item)", "-\(points) points", "Balance \(balance)"]
    case .refunded(let receipt, let reversed, let balance):
      ["Refund \(receipt)", "-\(reversed) points", "Balance \(balance)"]
    case .blocked(let card): ["Card blocked", "Card \(CounterScreens.masked(card))", "Account kept"]
    }
  }
}

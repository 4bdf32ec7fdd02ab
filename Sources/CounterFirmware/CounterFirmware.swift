import CardIdentification
import Logging
import LoyaltyCore
import PointsCache

/// Something that happens at the counter.
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
}

/// The counter terminal's firmware: a state machine fed by the reader, the keypad, the scanner
/// and the clock, drawing on the display and recording through the storage.
///
/// It only talks to hardware through `CounterDisplay`, `CounterIndicator`, `CounterClock` and
/// `CounterStorage`; inputs come in through `handle(_:)`, one at a time (`CounterLoop` feeds it
/// from the live devices). A refused or unreadable card is a message on the screen, never an
/// error out of the loop.
public actor CounterFirmware {
  public struct Settings: Sendable {
    public var terminal: String
    public var operatorId: String
    /// Seconds a customer screen waits for the cashier before going back to idle.
    public var idleTimeout: Int64 = 60
    /// Seconds a message (receipt, refusal) stays up when the card is not removed.
    public var messageTimeout: Int64 = 8

    public init(terminal: String, operatorId: String = "counter") {
      self.terminal = terminal
      self.operatorId = operatorId
    }
  }

  public nonisolated let settings: Settings
  let storage: any CounterStorage
  let display: any CounterDisplay
  let indicator: any CounterIndicator
  let clock: any CounterClock
  let logger: Logger

  public private(set) var state: CounterState = .idle
  /// When the current screen times out.
  public private(set) var deadline: UTCInstant?
  /// The latest operations recorded (what the cashier saw acknowledged), oldest first; the last
  /// `recentLimit` only, so a counter running for months does not grow.
  public internal(set) var recorded: [RecordedOperation] = []
  public static let recentLimit = 100
  var program: LoyaltyProgram?

  public struct RecordedOperation: Hashable, Sendable {
    public var operation: CounterOperation
    public var at: UTCInstant
    /// What the receipt said, e.g. "+25 points".
    public var summary: String
  }

  public init(
    settings: Settings, storage: any CounterStorage, display: any CounterDisplay, indicator: any CounterIndicator,
    clock: any CounterClock, logger: Logger
  ) {
    self.settings = settings
    self.storage = storage
    self.display = display
    self.indicator = indicator
    self.clock = clock
    self.logger = logger
    display.show(CounterScreens.screen(for: .idle, program: nil))
  }

  /// Handles one input to completion (including its storage call) and redraws.
  public func handle(_ input: CounterInput) async {
    if program == nil { program = try? await storage.program() }
    switch input {
    case .tap(let tap): await tapped(tap)
    case .cardRemoved: cardRemoved()
    case .key(let key): await pressed(key)
    case .scan(let code): scanned(code)
    case .tick: ticked()
    }
    display.show(CounterScreens.screen(for: state, program: program))
  }

  func go(_ next: CounterState) {
    state = next
    switch next {
    case .idle: deadline = nil
    case .message: deadline = clock.now.adding(seconds: settings.messageTimeout)
    default: deadline = clock.now.adding(seconds: settings.idleTimeout)
    }
  }

  func show(_ kind: CounterMessage.Kind, _ lines: [String], reason: String? = nil) {
    indicator.signal(kind == .receipt ? .success : .failure)
    go(.message(CounterMessage(kind: kind, lines: lines, reason: reason)))
  }

  var context: OperationContext {
    OperationContext(terminal: settings.terminal, operator: settings.operatorId, at: clock.now)
  }

  func tapped(_ tap: TapResult) async {
    if case .blockEntry(nil) = state, case .success(let identity) = tap.outcome {
      go(.blockEntry(card: identity.id))
      return
    }
    switch tap.outcome {
    case .failure(let error):
      logger.info("unreadable card", metadata: ["reader": "\(tap.reader)", "error": "\(error)"])
      show(.unreadable, ["Card not readable", "Please tap again"], reason: "\(error)")
    case .success(let identity):
      go(.reading)
      do {
        let view = try await storage.identify(card: identity.id, at: clock.now)
        if view.blocked {
          show(.blocked, ["Card blocked", "Account is intact:", "ask at customer desk"], reason: "card is blocked")
        } else {
          indicator.signal(.success)
          go(.identified(view))
        }
      } catch let error as RuleError where error.reason == .unknownCard {
        indicator.signal(.attention)
        go(.unknownCard(card: identity.id, referrer: nil))
      } catch {
        refused(error)
      }
    }
  }

  func cardRemoved() {
    switch state {
    case .reading, .message: go(.idle)
    case .identified, .unknownCard, .basket, .redeemMenu:
      show(.cardRemoved, ["Card removed", "Nothing recorded"])
    case .confirm(let op) where op.card != nil:
      show(.cardRemoved, ["Card removed", "Nothing recorded"])
    default: break
    }
  }

  func ticked() {
    guard let deadline, clock.now >= deadline else { return }
    if case .message = state {
      go(.idle)
    } else {
      show(.timedOut, ["Timed out", "Nothing recorded"])
    }
  }

  func scanned(_ code: String) {
    let code = String(code.prefix(64))
    switch state {
    case .refundEntry(nil, let typed): go(.refundEntry(receipt: code, typed: typed))
    case .blockEntry(nil): go(.blockEntry(card: code))
    case .unknownCard(let card, _): go(.unknownCard(card: card, referrer: code))
    case .basket(let view, let lines, let category, let typed) where lines.isEmpty && category == nil && typed.isEmpty:
      // A receipt number from the till before the lines: kept on the purchase.
      pendingReceipt = code
      go(.basket(view, lines: lines, category: category, typed: typed))
    default: logger.debug("scan ignored", metadata: ["state": "\(state.name)"])
    }
  }
  var pendingReceipt: String?

  func refused(_ error: any Error) {
    let reason = (error as? RuleError)?.message ?? "\(error)"
    logger.info("refused", metadata: ["reason": "\(reason)"])
    show(.refused, ["Refused"] + CounterScreens.wrap(reason, lines: 3), reason: reason)
  }
}

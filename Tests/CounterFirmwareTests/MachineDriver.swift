import CardIdentification
import Foundation
import LoyaltyCore

@testable import CounterFirmware

/// Drives the pure `CounterMachine` by hand: inputs in, storage's answers given by the test, the
/// clock set by the test. No reader, no cache: what the machine decides, alone.
struct MachineDriver {
  static let start = UTCInstant(parsing: "2026-11-16T09:00:00Z")!
  static let program: LoyaltyProgram = {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
      "../../sim/program.json")
    return try! ProgramParser.parse(try! Data(contentsOf: url))
  }()
  static let bob = try! CardID("6280001234567895")
  /// A 7-byte UID of digits only: one UID in about 280 is one.
  static let digitsUID = try! CardID(uid: [0x04, 0x67, 0x36, 0x30, 0x62, 0x77, 0x00])

  var machine = CounterMachine(settings: .init(terminal: "T01"))
  var now = start
  var effects: [CounterEffect] = []

  init(standAlone: Bool = false, program: LoyaltyProgram = Self.program) {
    send(.program(program, standAlone: standAlone))
  }

  /// The lines the display is given, before the screen type clips anything.
  var lines: [String] { machine.rawScreenLines }

  var state: CounterState { machine.state }

  mutating func send(_ input: CounterInput) {
    effects = machine.handle(input, at: now)
  }

  mutating func press(_ keys: CounterKey...) { for key in keys { send(.key(key)) } }

  mutating func type(_ digits: String) { for d in digits { send(.key(.digit(Int(String(d))!))) } }

  /// Tap → look-up (a known card, or with `known: false` one storage does not know) → a basket
  /// of one line in the first category, at the category menu.
  mutating func basket(card: CardID = Self.bob, amount: String = "1250", known: Bool = true) {
    tap(card)
    answerLookUp(known ? Self.view(card) : nil)
    press(.purchase, .digit(1))
    type(amount)
    press(.ok)
  }

  mutating func wait(_ seconds: Int64) {
    now = now.adding(seconds: seconds)
    send(.tick)
  }

  mutating func tap(_ card: CardID) {
    let identity = CardIdentity(
      card: card, source: card.kind == .uid ? .uid : .applet, cardType: "test", atr: "3B8F8001")
    send(.tap(TapResult(reader: "R", atr: "3B8F8001", cardType: "test", outcome: .success(identity), elapsed: .zero)))
  }

  /// Answers the look-up the machine asked for: `view` (nil: a card storage does not know).
  mutating func answerLookUp(_ view: CardholderView?) {
    guard case .reading(let card) = machine.state else { return }
    send(
      .identified(
        card: card,
        view.map { .success($0) } ?? .failure(CounterFailure(RuleError(.unknownCard, "card \(card) is not enrolled")))))
  }

  /// Answers the check the machine asked for.
  mutating func answerCheck(_ result: Result<RecordOutcome, CounterFailure>) {
    guard case .checking(let op) = machine.state else { return }
    send(.checked(op, result))
  }

  /// Answers the write the machine asked for.
  mutating func answerWrite(_ result: Result<RecordOutcome, CounterFailure>) {
    guard case .recording(let op) = machine.state else { return }
    send(.recorded(op, result))
  }

  static func view(
    _ card: CardID, balance: Int64 = 224, pending: Int64 = 0, tier: String = "Bronze", next: NextTier? = nil
  ) -> CardholderView {
    var v = CardholderView(
      card: card.text, account: Identities.accountID(enrolledWith: card.text), blocked: false, cards: [card.text],
      balance: balance, tier: tier, spendInWindow: 0, visitsInWindow: 0,
      nextTier: next ?? NextTier(name: "Silver", spendNeeded: 38_750, visitsNeeded: nil))
    v.pending = pending
    return v
  }

  static func earned(
    _ card: CardID, points: Int64 = 50, balance: Int64 = 274, bonus: Int64 = 0, receipt: String = "T01/A42",
    provisional: Bool = false
  ) -> RecordOutcome {
    let account = Identities.accountID(enrolledWith: card.text)
    var r = EarnReceipt(
      receipt: receipt, card: card.text, account: account, points: points, balance: balance, tier: "Bronze",
      nextTier: nil, referralBonuses: bonus > 0 ? [account: bonus] : [:])
    r.provisional = provisional
    return .earned(r)
  }

  static func refusal(_ error: RuleError) -> CounterFailure { CounterFailure(error) }
}

/// Why the engine refused an operation. Nothing is recorded when one is thrown.
public struct RuleError: Error, Hashable, Sendable, CustomStringConvertible {
  /// Stable reason codes (for JSON output and tests).
  public enum Reason: String, Hashable, Sendable {
    case overflow, invalidAmount, unknownCard, unknownAccount, alreadyEnrolled, blockedCard
    case unknownReceipt, duplicateReceipt, refundExceedsReceipt, insufficientBalance, dailyRedeemCapReached
    case unknownItem, debounced, velocityExceeded, noProgram, invalidReferrer, alreadyLinked
    /// A card at the program's chain-wide bound of earns in a UTC day.
    case dailyEarnLimitReached
    /// A cache used under another terminal's id.
    case wrongTerminal
    /// A card's signature missing, malformed or not the card's (`CardProof`), or spending
    /// without one beyond what the program allows.
    case cardProof
  }

  public var reason: Reason
  public var message: String
  /// The refusal as the counter's 4×20 display says it, in lines of at most 20 characters (the
  /// display pages them with OK), where the message would not read well wrapped.
  public var screenLines: [String]?

  public init(_ reason: Reason, _ message: String, screenLines: [String]? = nil) {
    self.reason = reason
    self.message = message
    self.screenLines = screenLines
  }

  public var description: String { message }
}

/// Checked Int128 arithmetic: overflow is an error, never a wrap.
enum Checked {
  static func multiply(_ a: Int128, _ b: Int128, _ what: @autoclosure () -> String) throws(RuleError) -> Int128 {
    let (r, overflow) = a.multipliedReportingOverflow(by: b)
    if overflow { throw RuleError(.overflow, "arithmetic overflow computing \(what())") }
    return r
  }

  static func add(_ a: Int128, _ b: Int128, _ what: @autoclosure () -> String) throws(RuleError) -> Int128 {
    let (r, overflow) = a.addingReportingOverflow(b)
    if overflow { throw RuleError(.overflow, "arithmetic overflow computing \(what())") }
    return r
  }

  static func add(_ a: Int64, _ b: Int64, _ what: @autoclosure () -> String) throws(RuleError) -> Int64 {
    let (r, overflow) = a.addingReportingOverflow(b)
    if overflow { throw RuleError(.overflow, "arithmetic overflow computing \(what())") }
    return r
  }

  static func subtract(_ a: Int64, _ b: Int64, _ what: @autoclosure () -> String) throws(RuleError) -> Int64 {
    let (r, overflow) = a.subtractingReportingOverflow(b)
    if overflow { throw RuleError(.overflow, "arithmetic overflow computing \(what())") }
    return r
  }

  static func int64(_ v: Int128, _ what: @autoclosure () -> String) throws(RuleError) -> Int64 {
    guard let r = Int64(exactly: v) else { throw RuleError(.overflow, "\(what()) does not fit in 64 bits") }
    return r
  }
}

extension RuleError {
  /// A card this counter enrolled before and holds no longer (a terminal in a region: the
  /// account not seen there for the region's days): the chain knows it, so it is not enrolled
  /// again; a purchase earns provisionally.
  public static func enrolledHereBefore(card: String) -> RuleError {
    RuleError(
      .alreadyEnrolled,
      "card \(card) was enrolled at this counter before; its account is not held here now (not seen in this "
        + "region lately): a purchase earns provisionally and joins its account at the next sync",
      screenLines: ["Enrolled here before", "but not held now:", "a purchase earns", "provisionally."])
  }
}

/// The ids of the entries the decisions make, each format written once, with its parse beside it
/// where the audit reads a number back out of an id.
extension Identities {
  /// A purchase's earn: one per receipt (`earn-T01/R100`).
  public static func earnID(receipt: String) -> String { "earn-\(receipt)" }

  /// A card linked to an account: once per card.
  public static func linkID(card: String) -> String { "link-\(card)" }

  /// A card blocked at `at`.
  public static func blockID(card: String, at: UTCInstant) -> String { "block-\(card)-\(at.seconds)" }

  /// A redemption: the terminal, its time and its sequence number there (from 1).
  public static func redeemID(terminal: String, at: UTCInstant, sequence: Int64) -> String {
    redeemPrefix(terminal: terminal, at: at) + "\(sequence)"
  }

  /// The sequence number `redeemID` put in `id`, or nil when `id` is not a redemption of that
  /// terminal at that time.
  public static func redeemSequence(of id: String, terminal: String, at: UTCInstant) -> Int64? {
    number(in: id, after: redeemPrefix(terminal: terminal, at: at)).flatMap { Int64(exactly: $0) }
  }

  /// The `number`th reversal (from 1) of a receipt at a terminal.
  public static func reversalID(terminal: String, receipt: String, number: Int) -> String {
    reversalPrefix(terminal: terminal, receipt: receipt) + "\(number)"
  }

  /// The number `reversalID` put in `id`, or nil when `id` is not a reversal of that receipt at
  /// that terminal.
  public static func reversalNumber(of id: String, terminal: String, receipt: String) -> Int? {
    number(in: id, after: reversalPrefix(terminal: terminal, receipt: receipt))
  }

  /// HQ's expiry of an account's points at `cutoff`.
  public static func expiryID(account: String, cutoff: UTCInstant) -> String { "expiry-\(account)-\(cutoff.seconds)" }

  /// What the audit says of an id that is not what `prefix` and a number make.
  public static func idProblem(_ id: String, expected prefix: String) -> String { "id \(id) is not \(prefix)N" }

  static func redeemPrefix(terminal: String, at: UTCInstant) -> String { "redeem-\(terminal)-\(at.seconds)-" }
  static func reversalPrefix(terminal: String, receipt: String) -> String { "reversal-\(terminal)-\(receipt)-" }

  /// The positive decimal number after `prefix` in `id` (digits only), or nil.
  static func number(in id: String, after prefix: String) -> Int? {
    guard id.hasPrefix(prefix) else { return nil }
    let digits = id.dropFirst(prefix.count)
    guard !digits.isEmpty, digits.utf8.allSatisfy({ (0x30...0x39).contains($0) }), let n = Int(digits), n > 0
    else { return nil }
    return n
  }
}

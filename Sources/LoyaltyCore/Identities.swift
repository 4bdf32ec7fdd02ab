import Crypto
import HexCoding

/// Deterministic identifiers: the same card enrolled at two terminals offline is one account, and
/// once-only events (enrolment, referral bonuses) get the same entry id wherever they happen.
public enum Identities {
  static func digest(_ text: String) -> String { Hex.lowercase(digest: SHA256.hash(data: Array(text.utf8))) }

  /// The account of the card it was enrolled with: `acct-` and 24 hex digits of SHA-256.
  public static func accountID(enrolledWith card: String) -> String {
    "acct-" + digest("loyalty/account/v1\n\(card)").prefix(24)
  }

  /// The enrolment entry of an account.
  public static func enrollmentEntryID(account: String) -> String {
    "enroll-" + digest("loyalty/enroll/v1\n\(account)").prefix(24)
  }

  /// The referral bonus of the referrer or the referee, derived from the referee's account.
  public static func referralBonusID(refereeAccount: String, forReferrer: Bool) -> String {
    "referral-" + digest("loyalty/referral/v1\n\(refereeAccount)\n\(forReferrer ? "referrer" : "referee")").prefix(24)
  }

  /// A receipt as the chain names it: the till's number scoped by the terminal that issued it
  /// (`T01/R100`), so two shops' receipt R100 are two receipts. A number already scoped by
  /// `terminal` is kept as it is.
  public static func scopedReceipt(_ number: String, terminal: String) throws(RuleError) -> String {
    if number.hasPrefix(terminal + "/") { return try checkedReceipt(number) }
    guard !number.contains("/") else {
      throw RuleError(
        .invalidAmount, "receipt \"\(number)\" is another terminal's number: this till's receipts are its own")
    }
    return try checkedReceipt(terminal + "/" + number)
  }

  /// A receipt named at a refund: `T01/R100` as it is, a bare number as this terminal's own.
  public static func receiptReference(_ text: String, terminal: String) throws(RuleError) -> String {
    try checkedReceipt(text.contains("/") ? text : terminal + "/" + text)
  }

  static func checkedReceipt(_ r: String) throws(RuleError) -> String {
    let parts = r.split(separator: "/", omittingEmptySubsequences: false)
    guard parts.count == 2, terminalIDProblem(String(parts[0])) == nil, !parts[1].isEmpty, parts[1].utf8.count <= 64,
      parts[1].utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F })
    else {
      throw RuleError(
        .unknownReceipt, "receipt \"\(r)\" must be TERMINAL/NUMBER, the number 1-64 visible ASCII characters")
    }
    return r
  }

  /// Why `id` is not a terminal id, or `nil` when it is one: 1-64 ASCII letters, digits, `-` or
  /// `_`, and never `HQ` (the ledger's own writer). Terminal ids name files and ledger writers, so
  /// nothing else (no `/`, no `..`) is ever one.
  public static func terminalIDProblem(_ id: String) -> String? {
    guard !id.isEmpty, id.utf8.count <= 64, id != Entry.hq,
      id.utf8.allSatisfy({
        (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0)
          || $0 == 0x2D || $0 == 0x5F
      })
    else { return "terminal id \"\(id)\" must be 1-64 letters, digits, - or _, and not HQ" }
    return nil
  }

  /// Checks a card ID's canonical text (see `CardID`): 16 digits passing Luhn, or an uppercase
  /// hex UID of 4, 7 or 10 bytes, told apart by length.
  public static func validateCard(_ card: String) throws(RuleError) {
    _ = try CardID(card)
  }
}

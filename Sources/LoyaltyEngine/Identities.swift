import CardIdentification
import CardReader
import Crypto

/// Deterministic identifiers: the same card enrolled at two terminals offline is one account, and
/// once-only events (enrolment, referral bonuses) get the same entry id wherever they happen.
public enum Identities {
  static func digest(_ text: String) -> String {
    Hex.encode(Array(SHA256.hash(data: Array(text.utf8)))).lowercased()
  }

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

  /// Checks a card ID as the reader layer writes them: 16 digits passing Luhn, or an uppercase
  /// hex UID of 4, 7 or 10 bytes.
  public static func validateCard(_ card: String) throws(RuleError) {
    let bytes = Array(card.utf8)
    if bytes.allSatisfy({ (0x30...0x39).contains($0) }) {
      guard bytes.count == LoyaltyNumber.length, LoyaltyNumber.luhnValid(bytes.map { $0 - 0x30 }) else {
        throw RuleError(.unknownCard, "\"\(card)\" is not a loyalty number (16 digits with a Luhn check digit)")
      }
      return
    }
    guard [8, 14, 20].contains(bytes.count), let uid = Hex.decode(card), Hex.encode(uid) == card else {
      throw RuleError(
        .unknownCard, "\"\(card)\" is neither a loyalty number nor an uppercase hex UID of 4, 7 or 10 bytes")
    }
  }
}

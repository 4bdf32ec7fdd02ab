/// One line of a basket: a category and its amount in minor units.
public struct PurchaseLine: Hashable, Sendable, Codable {
  public var category: String
  public var amount: Int64

  public init(category: String, amount: Int64) {
    self.category = category
    self.amount = amount
  }

  /// Why `category` cannot name a basket line, or nil: 1-40 letters, digits, `-`, `_` or `.`
  /// (it is written in the ledger as `category=amount,…`).
  public static func categoryProblem(_ category: String) -> String? {
    guard !category.isEmpty, category.utf8.count <= 40,
      category.utf8.allSatisfy({
        (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) || $0 == 0x2D
          || $0 == 0x5F || $0 == 0x2E
      })
    else { return "category \"\(category)\" must be 1-40 letters, digits, -, _ or ." }
    return nil
  }

  /// The ledger's spelling of a basket: `category=amount` joined by commas.
  public static func encode(_ lines: [PurchaseLine]) -> String {
    lines.map { "\($0.category)=\($0.amount)" }.joined(separator: ",")
  }

  /// Parses `encode`'s spelling strictly (canonical integers, valid categories), or nil.
  public static func decode(_ text: String) -> [PurchaseLine]? {
    var out: [PurchaseLine] = []
    for part in text.split(separator: ",", omittingEmptySubsequences: false) {
      let pieces = part.split(separator: "=", omittingEmptySubsequences: false)
      guard pieces.count == 2, categoryProblem(String(pieces[0])) == nil, let amount = Int64(pieces[1]),
        String(amount) == pieces[1]
      else { return nil }
      out.append(PurchaseLine(category: String(pieces[0]), amount: amount))
    }
    return out.isEmpty ? nil : out
  }
}

/// A purchase the terminal knows of, for tier computation.
public struct PurchaseFact: Hashable, Sendable {
  public var at: UTCInstant
  public var amount: Int64
  public var refunded: Int64

  public init(at: UTCInstant, amount: Int64, refunded: Int64) {
    self.at = at
    self.amount = amount
    self.refunded = refunded
  }
}

/// The earning rules, exactly as the program defines them, in exact integer arithmetic.
public enum EarnRules {
  /// The largest promotion multiplier in force for `category` at `t` (from ≤ t < until), or 1.
  public static func promotionFactor(for category: String, at t: UTCInstant, in program: LoyaltyProgram) -> Decimal4 {
    var best: Decimal4?
    for p in program.promotions where p.from <= t && t < p.until {
      guard p.categories?.contains(category) ?? true else { continue }
      if best == nil || p.multiplier > best! { best = p.multiplier }
    }
    return best ?? .one
  }

  /// The tier at `t`: the last tier whose minSpend ≤ spend or minVisits ≤ visits, counting the
  /// purchases in (t − tierWindowDays, t), net of refunds. A purchase is a visit only when its
  /// total is at least the program's `minVisitAmount` (its spend counts in full either way): this
  /// is the one place visits are counted, for the counter, the cache, the audit and HQ alike.
  /// The purchase being scored is not in `history`.
  public static func tier(at t: UTCInstant, history: [PurchaseFact], in program: LoyaltyProgram) -> (
    tier: LoyaltyProgram.Tier, spend: Int64, visits: Int
  ) {
    let start = t.adding(days: -program.tierWindowDays)
    var spend: Int64 = 0
    var visits = 0
    for p in history where p.at > start && p.at < t {
      // Saturating: a spend past Int64.max is as good as Int64.max for any tier threshold.
      let (sum, overflow) = spend.addingReportingOverflow(max(0, p.amount - min(p.refunded, p.amount)))
      spend = overflow ? .max : sum
      if p.amount >= program.minVisitAmount { visits += 1 }
    }
    return (tier(spend: spend, visits: visits, in: program), spend, visits)
  }

  /// The tier of `account` for a purchase at `t`, as `program`'s format reads it: format 1 from
  /// the receipts in (t − tierWindowDays, t) (`tier(at:history:in:)`); format 2 from the account's
  /// whole UTC days (`TierDays`), the `tierWindowDays` days up to and including t's day — the
  /// purchases already recorded that day count, the one being scored is not recorded yet. The one
  /// entry point of the counter, the cardholder's view and HQ's audit.
  public static func tier(at t: UTCInstant, of account: AccountState, in program: LoyaltyProgram) -> (
    tier: LoyaltyProgram.Tier, spend: Int64, visits: Int
  ) {
    guard program.format >= 2 else {
      return tier(at: t, history: account.purchases(before: t, windowDays: program.tierWindowDays), in: program)
    }
    let today = t.day
    let w = account.tierDays.window(from: today - Int64(program.tierWindowDays) + 1, through: today)
    return (tier(spend: w.spend, visits: w.visits, in: program), w.spend, w.visits)
  }

  /// The standing `account` shows at `t`, every purchase recorded at `t` counted (as its receipt
  /// shows it): format 1 reads the purchases before the next second; format 2 reads `t`'s whole
  /// day already (the next second may be the next day's, whose window is another).
  public static func standing(after t: UTCInstant, of account: AccountState, in program: LoyaltyProgram) -> (
    tier: LoyaltyProgram.Tier, spend: Int64, visits: Int
  ) {
    tier(at: program.format >= 2 ? t : t.adding(seconds: 1), of: account, in: program)
  }

  /// The highest tier `spend` or `visits` reaches.
  static func tier(spend: Int64, visits: Int, in program: LoyaltyProgram) -> LoyaltyProgram.Tier {
    var tier = program.tiers[0]
    for candidate in program.tiers.dropFirst() {
      let bySpend = candidate.minSpend.map { $0 <= spend } ?? false
      let byVisits = candidate.minVisits.map { $0 <= visits } ?? false
      if bySpend || byVisits { tier = candidate }
    }
    return tier
  }

  /// floor( Σ lines (amount / 10^minorUnits × pointsPerUnit × rate × promotion) × tier multiplier ).
  public static func points(
    for lines: [PurchaseLine], at t: UTCInstant, tier: LoyaltyProgram.Tier, in program: LoyaltyProgram
  ) throws(RuleError) -> Int64 {
    var sum: Int128 = 0  // scaled by 10^minorUnits × 10^12
    for line in lines {
      guard line.amount >= 0 else { throw RuleError(.invalidAmount, "line amount \(line.amount) is negative") }
      var term = Int128(line.amount)
      term = try Checked.multiply(term, Int128(program.pointsPerUnit.scaled), "a line's value")
      term = try Checked.multiply(term, Int128(program.rate(of: line.category).scaled), "a line's value")
      term = try Checked.multiply(
        term, Int128(promotionFactor(for: line.category, at: t, in: program).scaled), "a line's value")
      sum = try Checked.add(sum, term, "the basket's value")
    }
    let total = try Checked.multiply(sum, Int128(tier.multiplier.scaled), "the basket's points")
    var denominator: Int128 = 10_000_000_000_000_000  // 10^16: three rates and the tier at 10^4 each
    for _ in 0..<program.minorUnits { denominator *= 10 }
    return try Checked.int64(total / denominator, "the basket's points")
  }

  /// Points reversed by a refund of `amount` against a receipt of `receiptAmount` that earned
  /// `receiptPoints`: floor(P × C / A) − already reversed, where C is the cumulative refund.
  public static func reversal(
    refund amount: Int64, receiptAmount: Int64, receiptPoints: Int64, refundedBefore: Int64, reversedBefore: Int64
  ) throws(RuleError) -> Int64 {
    guard amount > 0 else { throw RuleError(.invalidAmount, "refund amount must be positive, is \(amount)") }
    let (cumulative, overflow) = refundedBefore.addingReportingOverflow(amount)
    guard !overflow, cumulative <= receiptAmount else {
      throw RuleError(
        .refundExceedsReceipt,
        "refund of \(amount) would bring refunds to \(overflow ? "more" : "\(cumulative)") against a receipt of \(receiptAmount)"
      )
    }
    let product = try Checked.multiply(Int128(receiptPoints), Int128(cumulative), "the reversal")
    return try Checked.int64(product / Int128(receiptAmount), "the reversal") - reversedBefore
  }
}

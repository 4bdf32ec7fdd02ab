/// The counter's limits: debounce of repeated taps, earn velocity, the offline redemption cap,
/// and the balance a redemption needs.
public enum CounterLimits {
  /// A tap of the same card at the same terminal within `debounceSeconds` of the last is ignored.
  public static func isDebounced(lastTap: UTCInstant?, now: UTCInstant, in program: LoyaltyProgram) -> Bool {
    guard let lastTap else { return false }
    return now.seconds - lastTap.seconds < program.limits.debounceSeconds && now >= lastTap
  }

  /// An earn beyond maxEarnsPerCardPerHour for one card at one terminal in the trailing hour.
  public static func checkVelocity(earnsInTrailingHour: Int, card: String, in program: LoyaltyProgram) throws(RuleError)
  {
    guard earnsInTrailingHour < program.limits.maxEarnsPerCardPerHour else {
      throw RuleError(
        .velocityExceeded,
        "card \(card) already earned \(earnsInTrailingHour) times at this terminal in the last hour (limit \(program.limits.maxEarnsPerCardPerHour))",
        screenLines: ["Limit of \(program.limits.maxEarnsPerCardPerHour) earns an", "hour reached here."])
    }
  }

  /// A purchase within the program's bounds on a line and on the total (`limits.maxLineAmount`,
  /// `limits.maxPurchaseAmount`): the counter refuses one beyond them, and HQ's audit, which
  /// re-derives every earn by this same rule, refuses the earn a dishonest counter recorded.
  public static func checkPurchase(_ lines: [PurchaseLine], total: Int64, in program: LoyaltyProgram) throws(RuleError)
  {
    if let most = program.limits.maxLineAmount, let line = lines.first(where: { $0.amount > most }) {
      throw RuleError(
        .invalidAmount,
        "line \(line.category): \(program.money(line.amount)) is more than a line may be (\(program.money(most))): "
          + "check the amount, or HQ raises limits.maxLineAmount",
        screenLines: ["Line of \(program.money(line.amount))", "is over the limit of", program.money(most)])
    }
    if let most = program.limits.maxPurchaseAmount, total > most {
      throw RuleError(
        .invalidAmount,
        "a purchase of \(program.money(total)) is more than one may be (\(program.money(most))): check the basket, or "
          + "HQ raises limits.maxPurchaseAmount",
        screenLines: ["Total \(program.money(total))", "is over the limit of", program.money(most)])
    }
  }

  /// A redemption needs the known balance to cover the cost and today's redemptions of the card
  /// at this terminal, this one included, to stay within the offline cap.
  public static func checkRedemption(
    item: LoyaltyProgram.CatalogueItem, balance: Int64, pending: Int64 = 0, redeemedTodayHere: Int64, card: String,
    in program: LoyaltyProgram
  ) throws(RuleError) {
    guard balance >= item.points else {
      guard pending > 0 else {
        throw RuleError(
          .insufficientBalance, "\(item.name) costs \(item.points) points; the balance is \(balance)",
          screenLines: ["\(item.name) needs", "\(item.points) pts; the", "balance is \(balance)."])
      }
      throw RuleError(
        .insufficientBalance,
        "\(item.name) costs \(item.points) points; \(balance) are available (\(pending) more are pending until their "
          + "purchases' return windows close)",
        screenLines: ["\(item.name): \(item.points) pts", "\(balance) usable now, \(pending)", "pending (returns)."])
    }
    let cap = program.limits.offlineRedeemPointsPerDay
    let (after, overflow) = redeemedTodayHere.addingReportingOverflow(item.points)
    guard !overflow, after <= cap else {
      throw RuleError(
        .dailyRedeemCapReached,
        "card \(card) has redeemed \(redeemedTodayHere) points here today; \(item.points) more would pass the daily cap of \(cap)",
        screenLines: ["Daily limit here is", "\(cap) pts; \(redeemedTodayHere) used", "today."])
    }
  }
}

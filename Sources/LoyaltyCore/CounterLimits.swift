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

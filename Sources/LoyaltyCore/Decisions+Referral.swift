extension Decisions {
  /// The referral rule, once, for the counter and the audit alike: a referred account's purchase
  /// of at least the program's `minFirstPurchase` (recorded, not provisional) pays the referrer
  /// and the referee their bonuses, once. Returns both entries (the earn leaves out any already
  /// recorded), or throws why this purchase pays none.
  ///
  /// A referrer at the program's chain-wide bound (`referrerBonusesInWindow` already in the window
  /// ending on the purchase's day, `CounterLimits.checkReferrerBonus`) gets nothing: the referee's
  /// own bonus is paid alone, and it settles the referral, so the referrer's is never paid later.
  public static func referralBonuses(
    account: AccountState, purchase total: Int64, referrerBonusesInWindow: Int = 0, program: LoyaltyProgram,
    context c: OperationContext
  ) throws(RuleError) -> [Entry] {
    guard let referral = program.referral else { throw RuleError(.invalidReferrer, "the program has no referral") }
    guard let referrer = account.referrer else {
      throw RuleError(.invalidReferrer, "account \(account.id) was not referred")
    }
    guard !account.referralSettled else { throw RuleError(.invalidReferrer, "the referral is already settled") }
    guard total >= referral.minFirstPurchase else {
      throw RuleError(
        .invalidReferrer,
        "account \(account.id) made no purchase of \(referral.minFirstPurchase) at \(c.at) (the referral's first "
          + "purchase)")
    }
    var paid = [(referrer, referral.referrerPoints, true), (account.id, referral.refereePoints, false)]
    if let window = CounterLimits.referrerWindow(endingOn: c.at.day, in: program) {
      do throws(RuleError) {
        try CounterLimits.checkReferrerBonus(
          bonusesInWindow: referrerBonusesInWindow, referrer: referrer, window: window, in: program)
      } catch {
        paid.removeFirst()
      }
    }
    return paid.map {
      beneficiary, bonus, forReferrer in
      Entry(
        kind: .referralBonus, id: Identities.referralBonusID(refereeAccount: account.id, forReferrer: forReferrer),
        at: c.at, terminal: c.terminal, account: beneficiary, points: bonus, ref: account.id, basis: c.basis)
    }
  }
}

extension AccountState {
  /// The reducer: what `entry` does to this account. The only code that gives entries meaning.
  ///
  /// Every sum is checked: an entry that would overflow a balance, a deficit or a spend throws
  /// `RuleError(.overflow)` and leaves the state as it was. Entries that do not concern an account
  /// (programs, terminal registrations, seals) change nothing.
  ///
  /// In place, without copying the account: everything that can fail is computed first, then the
  /// points move (atomic), then the rest changes.
  ///
  /// `rules` (`StateRules`, from the program the entry is applied under): the lot's expiry, and
  /// the windows beyond which receipts and tier days are dropped, so an account's state is bounded
  /// by the program's windows, not by its age.
  public mutating func apply(_ entry: Entry, rules: StateRules) throws(RuleError) {
    guard entry.kind.concernsAnAccount else { return }
    guard entry.account == id else {
      throw RuleError(.unknownAccount, "entry \(entry.id) is for account \(entry.account ?? "none"), not \(id)")
    }
    // 1. What may overflow, computed before anything changes.
    var spend = lifetimeSpend
    var receipt: (id: String, value: Receipt)?
    var daySpend: Int64?
    var refund: (amount: Int64, day: Int64)?
    switch entry.kind {
    case .earn:
      spend = try Checked.add(spend, entry.amount ?? 0, "the lifetime spend")
      daySpend = try tierDays.spend(adding: entry.amount ?? 0, on: entry.at.day)
      if let id = entry.receipt {
        receipt = (
          id,
          Receipt(
            account: self.id, at: entry.at.seconds, amount: max(0, entry.amount ?? 0),
            points: max(0, entry.points ?? 0), refunded: 0, reversed: 0, pendingDays: entry.pendingDays)
        )
      }
    case .reversal:
      spend = try Checked.subtract(spend, entry.amount ?? 0, "the lifetime spend")
      if let id = entry.receipt, var r = receipts[id] {
        let refunded = try Checked.add(r.refunded, max(0, entry.amount ?? 0), "a receipt's refunds")
        let reversed = try Checked.subtract(r.reversed, min(0, entry.points ?? 0), "a receipt's reversals")
        let before = r.refunded
        r.refunded = min(r.amount, refunded)
        r.reversed = min(r.points, reversed)
        refund = (r.refunded - before, UTCInstant(seconds: r.at).day)
        receipt = (id, r)
      }
    case .enroll, .link, .block, .redeem, .referralBonus, .adjustment, .expiry:
      break
    case .program, .terminalRegister, .terminalRevoke, .seal, .restore:
      return
    }
    // 2. The points: credit or debit, atomic (throws before changing the lots).
    let points = entry.points ?? 0
    if points > 0 {
      try lots.credit(points, at: entry.at, expiryDays: rules.expiryDays, dayLot: rules.dayLots)
    } else if points < 0 {
      try lots.debit(points.magnitude)
    }
    // 3. The rest cannot fail.
    if enrolledAt == nil { enrolledAt = entry.at }
    lifetimeSpend = spend
    if let receipt { receipts[receipt.id] = receipt.value }
    if let daySpend {
      tierDays.record(
        day: entry.at.day, spend: daySpend, visit: max(0, entry.amount ?? 0) >= rules.minVisitAmount)
    }
    if let refund { tierDays.refund(refund.amount, on: refund.day) }
    if let days = rules.receiptDays, !receipts.isEmpty { dropReceipts(before: entry.at, days: days) }
    if let days = rules.tierWindowDays { tierDays.drop(before: entry.at.day - Int64(days) + 1) }
    switch entry.kind {
    case .enroll:
      if let card = entry.card {
        cards.insert(card)
        if let key = entry.data { cardKeys[card] = key }
      }
      if referrer == nil, let r = entry.ref, r != id { referrer = r }
    case .link:
      if let card = entry.card {
        cards.insert(card)
        if let key = entry.data { cardKeys[card] = key }
      }
    case .block:
      if let card = entry.card { blockedCards.insert(card) }
    case .earn:
      purchases += 1
    case .referralBonus:
      // The referee's own bonus settles the referral (both bonuses are decided together).
      if entry.ref == id { referralSettled = true }
    case .reversal, .redeem, .adjustment, .expiry, .program, .terminalRegister, .terminalRevoke, .seal, .restore:
      break
    }
    if entry.kind != .expiry { lastActivity = entry.at }
  }
}

extension AccountState {
  /// Drops the receipts older than `days` before `time` whose own return window has closed too.
  mutating func dropReceipts(before time: UTCInstant, days: Int) {
    let horizon = time.seconds - Int64(days) * 86_400
    guard receipts.values.contains(where: { $0.at < horizon }) else { return }
    receipts = receipts.filter { _, r in
      r.at >= horizon || r.at >= time.seconds - Int64(r.pendingDays ?? 0) * 86_400
    }
  }
}

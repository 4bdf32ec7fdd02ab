extension AccountState {
  /// The reducer: what `entry` does to this account. The only code that gives entries meaning.
  ///
  /// Every sum is checked: an entry that would overflow a balance, a deficit or a spend throws
  /// `RuleError(.overflow)` and leaves the state as it was. Entries that do not concern an account
  /// (programs, terminal registrations, seals) change nothing. `keepingReceipts: false` folds
  /// without remembering receipts (balances over years of history do not need them).
  ///
  /// In place, without copying the account: everything that can fail is computed first, then the
  /// points move (atomic), then the rest changes.
  ///
  /// `receiptDays` (`LoyaltyProgram.receiptDays`): receipts older than that many days before the
  /// entry (and past their own return window) are dropped, so an account's state is bounded by
  /// the program's windows, not by its age; nil keeps them all.
  public mutating func apply(
    _ entry: Entry, expiryDays: Int, receiptDays: Int? = nil, keepingReceipts: Bool = true
  ) throws(RuleError) {
    guard entry.kind.concernsAnAccount else { return }
    guard entry.account == id else {
      throw RuleError(.unknownAccount, "entry \(entry.id) is for account \(entry.account ?? "none"), not \(id)")
    }
    // 1. What may overflow, computed before anything changes.
    var spend = lifetimeSpend
    var receipt: (id: String, value: Receipt)?
    switch entry.kind {
    case .earn:
      spend = try Checked.add(spend, entry.amount ?? 0, "the lifetime spend")
      if keepingReceipts, let id = entry.receipt {
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
        r.refunded = min(r.amount, refunded)
        r.reversed = min(r.points, reversed)
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
      try lots.credit(points, at: entry.at, expiryDays: expiryDays)
    } else if points < 0 {
      try lots.debit(points.magnitude)
    }
    // 3. The rest cannot fail.
    if enrolledAt == nil { enrolledAt = entry.at }
    lifetimeSpend = spend
    if let receipt { receipts[receipt.id] = receipt.value }
    if let receiptDays, !receipts.isEmpty { dropReceipts(before: entry.at, days: receiptDays) }
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

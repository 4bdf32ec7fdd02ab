extension AccountState {
  /// The reducer: what `entry` does to this account. The only code that gives entries meaning.
  ///
  /// Every sum is checked: an entry that would overflow a balance, a deficit or a spend throws
  /// `RuleError(.overflow)` and leaves the state as it was. Entries that do not concern an account
  /// (programs, terminal registrations, seals) change nothing. `keepingReceipts: false` folds
  /// without remembering receipts (balances over years of history do not need them).
  public mutating func apply(_ entry: Entry, expiryDays: Int, keepingReceipts: Bool = true) throws(RuleError) {
    guard entry.kind.concernsAnAccount else { return }
    guard entry.account == id else {
      throw RuleError(.unknownAccount, "entry \(entry.id) is for account \(entry.account ?? "none"), not \(id)")
    }
    var next = self
    if next.enrolledAt == nil { next.enrolledAt = entry.at }
    switch entry.kind {
    case .enroll:
      if let card = entry.card { next.cards.insert(card) }
      if next.referrer == nil, let referrer = entry.ref, referrer != id { next.referrer = referrer }
    case .link:
      if let card = entry.card { next.cards.insert(card) }
    case .block:
      if let card = entry.card { next.blockedCards.insert(card) }
    case .earn:
      next.lifetimeSpend = try Checked.add(next.lifetimeSpend, entry.amount ?? 0, "the lifetime spend")
      next.purchases += 1
      if keepingReceipts, let receipt = entry.receipt {
        next.receipts[receipt] = Receipt(
          account: id, at: entry.at.seconds, amount: max(0, entry.amount ?? 0), points: max(0, entry.points ?? 0),
          refunded: 0, reversed: 0)
      }
    case .reversal:
      next.lifetimeSpend = try Checked.subtract(next.lifetimeSpend, entry.amount ?? 0, "the lifetime spend")
      if let id = entry.receipt, var receipt = next.receipts[id] {
        let refunded = try Checked.add(receipt.refunded, max(0, entry.amount ?? 0), "a receipt's refunds")
        let reversed = try Checked.subtract(receipt.reversed, min(0, entry.points ?? 0), "a receipt's reversals")
        receipt.refunded = min(receipt.amount, refunded)
        receipt.reversed = min(receipt.points, reversed)
        next.receipts[id] = receipt
      }
    case .referralBonus:
      // The referee's own bonus settles the referral (both bonuses are decided together).
      if entry.ref == id { next.referralSettled = true }
    case .redeem, .adjustment, .expiry:
      break
    case .program, .terminalRegister, .terminalRevoke, .seal:
      return
    }
    let points = entry.points ?? 0
    if points > 0 {
      try next.lots.credit(points, at: entry.at, expiryDays: expiryDays)
    } else if points < 0 {
      try next.lots.debit(points.magnitude)
    }
    if entry.kind != .expiry { next.lastActivity = entry.at }
    self = next
  }
}

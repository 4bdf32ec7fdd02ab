extension Decisions {
  /// HQ's move of what a card's own account holds because the card was linked to another account
  /// instead of enrolled (its provisional earns, and any reversal of them): an adjustment pair
  /// taking the account's *available* balance at `t` — credit or debt — to the account the card
  /// belongs to, or nothing when there is nothing to move. Points still pending through their
  /// return window wait for a later run (they stay refundable where they are); a refund after a
  /// move leaves a debt here, which the next run moves too. The purchase itself (spend, visits,
  /// the receipt a refund needs) stays with the card's own account. The ids are fixed by the
  /// account and the time, so one run cannot move points twice. `legacyPendingDays`: the program
  /// in force's window, for purchases recorded without their own (`ReturnWindow`).
  public static func settlement(
    of held: AccountState, card: String, to owner: String, at t: UTCInstant, legacyPendingDays: Int
  ) -> [Entry] {
    let amount = held.available(at: t, legacyPendingDays: legacyPendingDays)
    guard owner != held.id, amount != 0, amount.magnitude <= UInt64(Bounds.maxPoints) else { return [] }
    let reason = "provisional points of card \(card), linked to \(owner)"
    let id = "settle-\(held.id)-\(t.seconds)"
    return [
      Entry(
        kind: .adjustment, id: id + "-from", at: t, terminal: Entry.hq, account: held.id, card: card, points: -amount,
        data: reason),
      Entry(
        kind: .adjustment, id: id + "-to", at: t, terminal: Entry.hq, account: owner, card: card, points: amount,
        data: reason),
    ]
  }
}

extension Decisions {
  /// HQ's move of provisional points stranded on a card's own account because the card was
  /// linked to another account instead of enrolled: an adjustment pair, minus on the card's
  /// account and plus on the one it belongs to, or nothing when there is nothing to move. The
  /// ids are fixed by the held account and the time, so one run cannot move points twice.
  public static func settlement(of hold: AuditReplay.ProvisionalHold, at t: UTCInstant) -> [Entry] {
    guard let owner = hold.belongsTo, owner != hold.heldOn, hold.points > 0, hold.points <= Bounds.maxPoints else {
      return []
    }
    let reason = "provisional points of card \(hold.card), linked to \(owner)"
    let id = "settle-\(hold.heldOn)-\(t.seconds)"
    return [
      Entry(
        kind: .adjustment, id: id + "-from", at: t, terminal: "HQ", account: hold.heldOn, card: hold.card,
        points: -hold.points, data: reason),
      Entry(
        kind: .adjustment, id: id + "-to", at: t, terminal: "HQ", account: owner, card: hold.card, points: hold.points,
        data: reason),
    ]
  }
}

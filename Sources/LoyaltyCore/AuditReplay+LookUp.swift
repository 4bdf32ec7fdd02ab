/// What HQ answers a counter that looks a card up on demand (`GET /v1/account`): the card's
/// account exactly as the audit takes that terminal to know it on its basis — the audit's own
/// view, so an entry the counter then decides on it is re-derived on the same state.
extension AuditReplay {
  /// The state of `card`'s account as `terminal` knew it on `basis` (the ledger up to there, the
  /// chain's enrolments, its own entries after it), or nil when it knew no such card.
  public func lookUp(card: String, terminal: String, basis: Int64) -> AccountState? {
    known(card, terminal: terminal, basis: basis)?.account
  }
}

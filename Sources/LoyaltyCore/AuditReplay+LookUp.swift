/// What HQ answers a counter that looks a card up on demand (`GET /v1/account`): the card's
/// account exactly as the audit takes that terminal to know it on its basis — the audit's own
/// view, so an entry the counter then decides on it is re-derived on the same state.
extension AuditReplay {
  /// The state of `card`'s account as `terminal` knew it on `basis` (the ledger up to there, the
  /// chain's enrolments, its own entries after it), or nil when it knew no such card.
  public func lookUp(card: String, terminal: String, basis: Int64) -> AccountState? {
    known(card, terminal: terminal, basis: basis)?.account
  }

  /// Why `terminal` may not decide on `basis` — so nothing is answered on it — or nil: the audit's
  /// own rules for an entry's basis (the end of a sealed batch, not before the basis of the
  /// terminal's last entry, not before the states the audit keeps). A look-up cannot read an
  /// account's past states back night by night.
  public func basisProblem(_ basis: Int64, terminal: String) -> String? {
    if let problem = basisGoesBack(basis, terminal: terminal) ?? basisIsNotASeal(basis) { return problem }
    guard basis >= horizon else { return "basis \(basis) is older than the states HQ keeps (from seq \(horizon))" }
    return nil
  }

  /// A basis before the basis of `terminal`'s last entry (bases only move forward), in words.
  func basisGoesBack(_ basis: Int64, terminal: String) -> String? {
    guard let last = lastBasis(of: terminal), basis < last else { return nil }
    return "basis \(basis) goes back from \(last), the basis of \(terminal)'s previous entry"
  }

  /// A basis that is not the end of a sealed batch (nor 0, an empty ledger), in words.
  func basisIsNotASeal(_ basis: Int64) -> String? {
    basis == 0 || isSeal(basis) ? nil : "basis \(basis) is not the end of a sealed batch"
  }
}

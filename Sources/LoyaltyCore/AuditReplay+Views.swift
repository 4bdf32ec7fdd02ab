/// The audit's views: what a terminal knew of an account or a card on a basis, and what the
/// ledger holds for no cardholder yet. Read-only over the replay's state (AuditReplay.swift).
extension AuditReplay {
  /// The account as `terminal` knew it on `basis`: the ledger up to there and its own entries
  /// after it (and, not `strictly`, the once-only events of others after it: an enrolment is the
  /// same wherever it was decided). Nil when the account was unknown to it.
  func view(_ id: String, terminal: String, basis: Int64, strictly: Bool = false) -> AccountState? {
    guard let current = accounts[id] else { return nil }
    func visible(_ j: Journaled) -> Bool {
      j.seq <= basis || j.entry.terminal == terminal || (!strictly && Self.isOnceOnly(j.entry.kind))
    }
    // The ledger's state applied the terminal's own entries under the program in force when each
    // was admitted; the terminal applied them under the one it held, the program at its basis.
    // The same unless HQ published another since and the terminal has entries after its basis.
    let republished = (programs.last?.seq ?? 0) > basis
    guard let journal = recent[id],
      !journal.allSatisfy(visible) || (republished && journal.contains { $0.seq > basis })
    else { return current }
    var state = settled[id] ?? AccountState(id: id)
    for j in journal where visible(j) {
      let then = program(at: min(j.seq, basis))
      try? state.apply(
        j.entry, rules: StateRules(then))
    }
    return state.enrolledAt == nil ? nil : state
  }

  /// What `terminal` knew of `card` on `basis`.
  func facts(
    _ card: String, terminal: String, basis: Int64, strictly: Bool = false, preferring: String? = nil
  ) -> CardFacts? {
    known(card, terminal: terminal, basis: basis, strictly: strictly, preferring: preferring)?.facts
  }

  /// What HQ knows of `card` at the end of the ledger: the account whose claim stands
  /// (`CardClaim`), for HQ's own entries on it.
  public func standingFacts(of card: String) -> CardFacts? {
    facts(card, terminal: Entry.hq, basis: .max)
  }

  /// What `terminal` knew of `card` on `basis`, with the account's view (one lookup for both).
  /// `strictly`: only what the terminal itself knew — the ledger up to there and its own claims,
  /// not another counter's enrolment it had not synced (a provisional earn says the card was
  /// unknown to it).
  ///
  /// The card's account is that of the claim that stands (`CardClaim`) among the other counters'
  /// the terminal saw on its basis (not strictly, and when it saw none: another counter's
  /// enrolment after it, the card's own account) — but the terminal's own claim stands for it
  /// over another's it had not seen when it made its own (a card enrolled at one counter and
  /// linked at another, both offline): its cache keeps the claim it made. A terminal in a region
  /// holds only some accounts: of a card claimed twice it decided on whichever claim's account
  /// it held (`preferring`, the entry's account, when it is one of them).
  ///
  /// Blocked: at a terminal in no region, when any claim it saw has the card blocked on its
  /// account (its replica holds them all); in a region, on the account it decides on.
  func known(
    _ card: String, terminal: String, basis: Int64, strictly: Bool = false, preferring: String? = nil
  ) -> (facts: CardFacts, account: AccountState)? {
    guard let links = cardLinks[card] else { return nil }
    let own = links.first { $0.terminal == terminal }
    let others = links.filter { $0.terminal != terminal && $0.seq <= basis }
    let claims = [own].compactMap { $0 } + others
    let seen =
      CardClaim.standing(others, isEnrolment: \.enrolment)
      ?? (strictly ? nil : links.first { $0.terminal != terminal && $0.enrolment })
    let inRegion = program(at: basis)?.regions?.region(of: terminal) != nil
    guard
      var link = own.map({ own in seen.map { own.basis < $0.seq ? own : $0 } ?? own }) ?? seen
    else { return nil }
    if inRegion, let preferring, link.account != preferring,
      let held = claims.first(where: { $0.account == preferring })
    {
      link = held
    }
    guard let account = view(link.account, terminal: terminal, basis: basis) else { return nil }
    var blocked = account.blockedCards.contains(card)
    if !inRegion {
      for other in Set(claims.map(\.account)) where !blocked && other != link.account {
        blocked = view(other, terminal: terminal, basis: basis)?.blockedCards.contains(card) ?? false
      }
    }
    return (CardFacts(card: card, account: link.account, blocked: blocked), account)
  }

  /// Provisional points not in a cardholder's balance: on the account of a card nobody has
  /// enrolled yet (they join the balance when it is), or of a card that was linked to another
  /// account instead (HQ moves them with an adjustment pair, `Decisions.settlement`; a refund of
  /// such a purchase after the move leaves a debt there, listed too). A card enrolled on its own
  /// account (its holder's, whatever link another counter made offline) holds nothing: that
  /// account is a cardholder's.
  public var provisionalHolds: [ProvisionalHold] {
    provisionalCards.sorted { $0.key < $1.key }.compactMap { card, held in
      let owner = CardClaim.standing(cardLinks[card] ?? [], isEnrolment: \.enrolment)?.account
      guard owner != held, let account = accounts[held], !account.cards.contains(card) else { return nil }
      let points = account.balance
      guard points > 0 || (owner != nil && points != 0) else { return nil }
      return ProvisionalHold(card: card, heldOn: held, belongsTo: owner, points: points)
    }
  }

  /// The cards claimed by more than one account, by card.
  public var cardsClaimedTwice: [ClaimedTwice] {
    cardLinks.sorted { $0.key < $1.key }.compactMap { card, claims in
      guard let stands = CardClaim.standing(claims, isEnrolment: \.enrolment)?.account else { return nil }
      var others: [String] = []
      for claim in claims where claim.account != stands && !others.contains(claim.account) {
        others.append(claim.account)
      }
      return others.isEmpty ? nil : ClaimedTwice(card: card, stands: stands, others: others)
    }
  }

  func redeemedToday(_ terminal: String, _ card: String, day: Int64) -> Int64 {
    redeemed["\(terminal)|\(card)|\(day)"] ?? 0
  }

  /// Points the whole chain redeemed from `account` on `day` without a card's signature.
  func unprovenRedeemed(account: String, day: Int64) -> Int64 { unproven["\(account)|\(day)"] ?? 0 }

  func isSeal(_ seq: Int64) -> Bool { seals.contains(seq) }

  func lastOwnSeal(of terminal: String) -> UTCInstant? { ownSeal[terminal] }

  func registration(of terminal: String) -> Int64? { registered[terminal] }

  /// The revoked registration of `terminal` that `basis` falls in, if any.
  func revokedTerm(of terminal: String, covering basis: Int64) -> Term? {
    revokedTerms[terminal]?.last { basis >= $0.from && basis < $0.until }
  }

  func lastBasis(of terminal: String) -> Int64? { lastBasis[terminal] }
}

extension AuditReplay {
  /// The accounts an accepted entry changed after ledger position `seq`, in no order; nil when the
  /// audit no longer holds that far back (`seq` before its horizon: every account may have
  /// changed, so a delta from there is a full bootstrap). O(entries after `seq`).
  public func changedAccounts(since seq: Int64) -> Set<String>? {
    guard seq >= horizon else { return nil }
    var lo = pendingStart
    var hi = pending.count
    while lo < hi {
      let mid = (lo + hi) / 2
      if pending[mid].seq <= seq { lo = mid + 1 } else { hi = mid }
    }
    var changed = Set<String>()
    for i in lo..<pending.count { changed.insert(pending[i].account) }
    return changed
  }
}

extension AuditReplay {
  /// Why a terminal's entry at `seq` is refused, or nil: its basis and time are plausible, its id
  /// is new, and the core's decision, replayed on the account as the terminal knew it, gives back
  /// exactly this entry.
  func audit(_ e: Entry, seq: Int64, sealedAt: UTCInstant, digest: IDDigest) -> String? {
    let t = e.terminal
    guard e.kind.isCounterKind else { return "a \(e.kind.rawValue) entry is HQ's, not a terminal's" }
    guard let basis = e.basis else { return "no basis (the ledger position it was decided on)" }
    guard basis >= 0, basis < seq else { return "basis \(basis) is not before the entry's own position \(seq)" }
    guard let registeredAt = registration(of: t) else { return "terminal \(t) is not registered" }
    // Decided on history HQ lost when it restored a backup (where its registration may have been,
    // done again since): nothing here can re-derive it.
    let lost = lostHistory(containing: basis) != nil
    if basis < registeredAt, !lost {
      // Decided while an earlier registration was in force, before HQ revoked it: re-registering
      // is, for that, like a key rotation — if the audit can still rebuild what it knew.
      guard let term = revokedTerm(of: t, covering: basis) else {
        return "basis \(basis) is before terminal \(t)'s registration (line seq \(registeredAt))"
      }
      guard basis >= horizon else {
        return "basis \(basis), from before terminal \(t)'s revocation at seq \(term.until), is below the audit's "
          + "horizon (\(horizon))"
      }
    }
    // Nothing decided while it was revoked (a stolen or retired counter); before the revocation
    // or after HQ registered it again, it was a registered counter that had not synced since.
    if let gap = revokedTerms[t]?.first(where: { e.at >= $0.before && $0.resumed.map { e.at < $0 } ?? true }) {
      return "decided at \(e.at), while terminal \(t) was revoked (from \(gap.before)"
        + "\(gap.resumed.map { " until \($0)" } ?? ""))"
    }
    if let problem = basisGoesBack(basis, terminal: t) { return problem }
    if lost { return lostHistoryProblem(e, sealedAt: sealedAt, digest: digest) }
    if let problem = basisIsNotASeal(basis) { return problem }
    guard Decisions.Bounds.times.contains(e.at) else { return "time \(e.at) is outside 2000…2100" }
    guard e.at <= sealedAt else { return "time \(e.at) is after its batch's seal (\(sealedAt))" }
    // Times are held to the terminal's own clock (another writer's clock, right or wrong, never
    // refuses its entries): its seals go forward, and it decides after its previous batch.
    if let previous = lastOwnSeal(of: t) {
      guard sealedAt >= previous else {
        return "sealed at \(sealedAt), before \(t)'s previous seal at \(previous): its clock went back"
      }
      guard e.at >= previous.adding(days: -1) else {
        return "time \(e.at) is more than a day before \(t)'s previous seal (\(previous))"
      }
    }
    guard let program = program(at: basis) else {
      return "decided on no published program (basis \(basis)): a chained terminal takes its program from the ledger"
    }
    guard !contains(digest) else { return "id \(e.id) is already in the ledger" }
    let c = OperationContext(terminal: t, operator: "", at: e.at, basis: basis)
    var derived: Entry
    do throws(RuleError) {
      derived = try rederive(e, program: program, context: c)
    } catch {
      return "re-derived at its basis, the decision refuses it: \(error.message)"
    }
    // An earn recorded before return windows were (no `pendingDays`) is what its decision gave
    // then; the window of the program in force applies to it (`ReturnWindow`).
    if e.kind == .earn, e.pendingDays == nil { derived.pendingDays = nil }
    // A card's public key and signature are the card's, not the decision's: the card-proof rule
    // checks them, on the account as the terminal knew it.
    if e.kind == .enroll || e.kind == .link { derived.data = e.data }
    derived.proof = e.proof
    guard e == derived else { return Self.difference(e, derived) }
    let account = e.account.flatMap { view($0, terminal: t, basis: basis) }
    let unproven = e.account.map { unprovenRedeemed(account: $0, day: e.at.day) } ?? 0
    if let problem = CardProofPolicy.problem(e, account: account, program: program, unprovenToday: unproven) {
      return problem.message
    }
    // What the terminal decided on what it knew; the chain may have reached a bound meanwhile.
    return chainBoundProblem(e, program: program)
  }

  /// The entry the core's decision gives for `e`'s inputs, on the terminal's view.
  private func rederive(_ e: Entry, program: LoyaltyProgram, context c: OperationContext) throws(RuleError) -> Entry {
    let basis = c.basis
    let t = c.terminal
    func need<T>(_ value: T?, _ field: String) throws(RuleError) -> T {
      guard let value else { throw RuleError(.invalidAmount, "\(field) missing") }
      return value
    }
    switch e.kind {
    case .enroll:
      let card = try need(e.card, "card")
      var referrer: (card: String, facts: CardFacts?)?
      if let account = e.ref {
        let known = view(account, terminal: t, basis: basis)
        let active = known.flatMap { $0.cards.subtracting($0.blockedCards).min() }
        referrer = (
          active ?? "an active card of \(account)", active.map { CardFacts(card: $0, account: account, blocked: false) }
        )
      }
      return try Decisions.enroll(
        card: card, known: facts(card, terminal: t, basis: basis), referrer: referrer, context: c)
    case .link:
      let card = try need(e.card, "card")
      let existing = try need(e.ref, "ref (the existing card)")
      // Strictly: another counter's enrolment of the card the terminal had not seen does not
      // refuse its link; both claims stand where `CardClaim` says, and its earns are not lost.
      return try Decisions.link(
        card: card, known: facts(card, terminal: t, basis: basis, strictly: true),
        ownAccount: view(Identities.accountID(enrolledWith: card), terminal: t, basis: basis, strictly: true),
        to: existing,
        existingFacts: facts(existing, terminal: t, basis: basis, preferring: e.account), context: c)
    case .block:
      let card = try need(e.card, "card")
      return try Decisions.block(
        card: card, facts: facts(card, terminal: t, basis: basis, preferring: e.account), context: c)
    case .earn where e.data == Entry.provisional:
      // Decided on a card the terminal did not know: only its own links and the ledger up to its
      // basis count (not another counter's enrolment of the card it had not synced yet), and the
      // account is the card's own, as the terminal knew it.
      let card = try need(e.card, "card")
      let own = Identities.accountID(enrolledWith: card)
      // A terminal in a region may not have held the card's account: it is not asked to have known it.
      let partial = program.regions?.region(of: t) != nil
      let decision = try Decisions.provisionalEarn(
        cardID: card, known: partial ? nil : known(card, terminal: t, basis: basis, strictly: true)?.facts,
        account: view(own, terminal: t, basis: basis) ?? AccountState(id: own), lines: try need(e.lines, "lines"),
        receipt: try need(e.receipt, "receipt"), receiptTaken: false, lastTap: nil, earnsInTrailingHour: 0,
        program: program, context: c)
      return decision.entries[0]
    case .earn:
      let card = try need(e.card, "card")
      let known = known(card, terminal: t, basis: basis, preferring: e.account)
      let account = known?.account ?? AccountState(id: e.account ?? "")
      let decision = try Decisions.earn(
        card: known?.facts, cardID: card, account: account, lines: try need(e.lines, "lines"),
        receipt: try need(e.receipt, "receipt"), receiptTaken: false, lastTap: nil, earnsInTrailingHour: 0,
        recordedBonuses: [], program: program, context: c)
      return decision.entries[0]
    case .redeem:
      let card = try need(e.card, "card")
      guard let sequence = Identities.redeemSequence(of: e.id, terminal: t, at: e.at) else {
        throw RuleError(
          .invalidAmount, Identities.idProblem(e.id, expected: Identities.redeemPrefix(terminal: t, at: e.at)))
      }
      let known = known(card, terminal: t, basis: basis, preferring: e.account)
      let account = known?.account ?? AccountState(id: "")
      return try Decisions.redeem(
        card: known?.facts, cardID: card, account: account, item: try need(e.data, "data (the item)"),
        redeemedTodayHere: redeemedToday(t, card, day: e.at.day), sequence: sequence, program: program, context: c)
    case .reversal:
      let receipt = try need(e.receipt, "receipt")
      guard let n = Identities.reversalNumber(of: e.id, terminal: t, receipt: receipt) else {
        throw RuleError(
          .invalidAmount, Identities.idProblem(e.id, expected: Identities.reversalPrefix(terminal: t, receipt: receipt))
        )
      }
      let known = view(try need(e.account, "account"), terminal: t, basis: basis)?.receipts[receipt]
      return try Decisions.refund(
        receipt: receipt, receipt: known, amount: try need(e.amount, "amount"), earlierReversals: n - 1,
        program: program, context: c)
    case .referralBonus:
      let referee = try need(e.ref, "ref (the referee)")
      guard let account = view(referee, terminal: t, basis: basis) else {
        throw RuleError(.invalidReferrer, "account \(referee) was not referred")
      }
      // Paid by the purchase it came with: this terminal's earn on the referee's account, at
      // the bonus's own time (the same rule as the counter's, on that purchase only).
      let purchase = account.receipts.values.filter { $0.at == c.at.seconds }.map(\.amount).max() ?? 0
      let bonuses = try Decisions.referralBonuses(account: account, purchase: purchase, program: program, context: c)
      guard let bonus = bonuses.first(where: { $0.id == e.id }) else {
        throw RuleError(.invalidReferrer, "id \(e.id) is not a referral bonus of account \(referee)")
      }
      return bonus
    case .adjustment, .expiry, .program, .terminalRegister, .terminalRevoke, .seal, .restore:
      throw RuleError(.invalidAmount, "a \(e.kind.rawValue) is HQ's")
    }
  }

  /// The first field where `e` differs from what its decision gives, in words, or nil.
  static func difference(_ e: Entry, _ derived: Entry) -> String? {
    func show<T>(_ v: T?) -> String { v.map { "\($0)" } ?? "none" }
    let fields: [(String, String, String)] = [
      ("id", e.id, derived.id), ("account", show(e.account), show(derived.account)),
      ("card", show(e.card), show(derived.card)), ("points", show(e.points), show(derived.points)),
      ("amount", show(e.amount), show(derived.amount)), ("currency", show(e.currency), show(derived.currency)),
      ("receipt", show(e.receipt), show(derived.receipt)), ("ref", show(e.ref), show(derived.ref)),
      ("data", show(e.data), show(derived.data)),
      ("lines", show(e.lines.map(PurchaseLine.encode)), show(derived.lines.map(PurchaseLine.encode))),
      ("program version", show(e.version), show(derived.version)), ("tier", show(e.tier), show(derived.tier)),
      ("return window (pendingDays)", show(e.pendingDays), show(derived.pendingDays)),
    ]
    for (name, was, due) in fields where was != due {
      return "\(name) \(was) where the decision at its basis gives \(due)"
    }
    return e == derived ? nil : "differs from what the decision at its basis gives"
  }
}

extension AuditReplay {
  /// The restore whose lost history `basis` lies in (after the backup's last seq, before the
  /// restore line), or nil.
  func lostHistory(containing basis: Int64) -> (point: Int64, seq: Int64)? {
    restores.last { basis > $0.point && basis < $0.seq }
  }

  /// Why an entry decided on lost history is refused, or nil. HQ no longer holds what its
  /// terminal knew, so the entry is taken as recorded — its id new, its time plausible, its
  /// terminal registered — but only from a terminal that has not yet decided anything on the
  /// restored ledger: once it has, a basis in the lost history goes back from its last one.
  func lostHistoryProblem(_ e: Entry, sealedAt: UTCInstant, digest: IDDigest) -> String? {
    guard Decisions.Bounds.times.contains(e.at) else { return "time \(e.at) is outside 2000…2100" }
    guard e.at <= sealedAt else { return "time \(e.at) is after its batch's seal (\(sealedAt))" }
    guard !contains(digest) else { return "id \(e.id) is already in the ledger" }
    return nil
  }
}

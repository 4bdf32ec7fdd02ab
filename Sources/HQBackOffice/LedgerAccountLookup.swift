import LedgerFormat
import LedgerStore
import LoyaltyCore

/// Customer service at HQ: one account as the ledger holds it — its state as every reader folds
/// it, its cards in the order they were enrolled or linked, and its history — and the account a
/// card belongs to.
///
/// Read-only and lock-free (it streams the sealed bytes as every reader does), so it runs while
/// `hq serve` admits batches. The balance, the tier and what is pending are the core's
/// (`AccountState.view`), never computed a second time here.
public struct LedgerAccountLookup: Sendable {
  public var account: AccountState
  /// Every card of the account, in the order they were enrolled or linked (blocked ones too).
  public var cards: [String]
  /// The entries every reader folds into the account, oldest first by time (ledger order within a
  /// second: an offline counter's entries reach the ledger after later ones), with their seqs.
  public var history: [LedgerEntry]
  /// The program in force at the end of the ledger.
  public var program: LoyaltyProgram?
  /// Provisional points no cardholder sees yet that concern the account's cards or the account.
  public var provisionalHolds: [AuditReplay.ProvisionalHold]
  /// The ledger's last sealed seq when it was read.
  public var lastSeq: Int64

  /// No cardholder's: a card's own account holding provisional earns, the card not enrolled.
  public var isProvisional: Bool { account.enrolledAt == nil }

  /// Where a card's points are: the account of the claim that stands (`CardClaim`: an
  /// enrolment, else the first link in ledger order, as the audit decides), or, when none, the
  /// card's own account if the ledger holds provisional earns on it. Nil when the ledger does not know the card. The fold is
  /// the one the answer was read from.
  public static func owner(of card: String, path: String) throws(LedgerError) -> (
    account: String?, fold: LedgerFold
  ) {
    var fold = LedgerFold()
    var claims: [(account: String, enrolment: Bool)] = []
    // An incomplete tail (an append killed midway, which the next writer cuts) is passed over, as
    // HQ's balances pass it; `ledger verify` is what names it.
    var tail = LedgerVerifier.Tail.clean
    _ = try LedgerVerifier.readVerified(
      path: path, tail: &tail,
      each: { line in
        for e in fold.take(line) where e.card == card && (e.kind == .enroll || e.kind == .link) {
          if let account = e.account { claims.append((account, e.kind == .enroll)) }
        }
      }, excluded: { fold.exclude($0) })
    let own = Identities.accountID(enrolledWith: card)
    let claim = CardClaim.standing(claims, isEnrolment: \.enrolment)?.account
    return (claim ?? (fold.accounts[own] != nil ? own : nil), fold)
  }

  /// The account `id` as the ledger holds it, or nil when no entry every reader folds names it.
  public static func find(account id: String, path: String) throws(LedgerError) -> LedgerAccountLookup? {
    var fold = LedgerFold()
    var history: [LedgerEntry] = []
    var cards: [String] = []
    var tail = LedgerVerifier.Tail.clean
    let state = try LedgerVerifier.readVerified(
      path: path, tail: &tail,
      each: { line in
        for e in fold.take(line) where e.account == id && e.kind.concernsAnAccount {
          history.append(e)
          if let card = e.card, e.kind == .enroll || e.kind == .link, !cards.contains(card) { cards.append(card) }
        }
      }, excluded: { fold.exclude($0) })
    guard let account = fold.accounts[id] else { return nil }
    let holds = fold.audit.provisionalHolds.filter {
      $0.heldOn == id || $0.belongsTo == id || account.cards.contains($0.card)
    }
    return LedgerAccountLookup(
      account: account, cards: cards,
      history: history.enumerated().sorted { ($0.element.at, $0.offset) < ($1.element.at, $1.offset) }.map(\.element),
      program: fold.program, provisionalHolds: holds,
      lastSeq: state.lastSeq)
  }
}

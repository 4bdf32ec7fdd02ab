import LedgerFormat
import LoyaltyCore
import SyncProtocol

/// Why HQ's side does not answer a look-up: the one check both HQ's service and the embedded file
/// path run before computing an answer (`LedgerFold.lookUp`).
public enum LookUpRefusal: Error, CustomStringConvertible, Sendable {
  /// The card is not a card's canonical text.
  case badCard(String)
  /// The basis is past the ledger's end.
  case pastTheEnd(basis: Int64, lastSeq: Int64)
  /// The basis is not one the terminal may decide on (the audit's rules for an entry's basis).
  case notABasis(String)
  /// The basis is in history HQ lost when it restored its ledger.
  case restored(LedgerVerifier.RestoreMark, basis: Int64)

  public var description: String {
    switch self {
    case .badCard(let why): "the card is not a card's number: \(why)"
    case .pastTheEnd(let basis, let lastSeq):
      "basis \(basis) is past the end of HQ's ledger (seq \(lastSeq)): this cache is from another ledger, or HQ's "
        + "ledger was rolled back"
    case .notABasis(let why): "\(why): sync this counter, then look the card up again"
    case .restored(let mark, let basis):
      "HQ's ledger was restored from a backup ending at seq \(mark.point); this counter's basis (seq \(basis)) is in "
        + "the history HQ lost: sync it first"
    }
  }
}

extension LedgerFold {
  /// The answer to `terminal` looking `card` up on `basis`, from this fold of HQ's ledger at
  /// `state` (unsigned: HQ's service signs it).
  public func lookUp(card: String, basis: Int64, terminal: String, at state: LedgerVerifier.State) throws(LookUpRefusal)
    -> AccountLookup
  {
    do throws(RuleError) { _ = try CardID(card) } catch { throw .badCard(error.message) }
    if let mark = state.restore(losing: basis) { throw .restored(mark, basis: basis) }
    guard basis <= state.lastSeq else { throw .pastTheEnd(basis: basis, lastSeq: state.lastSeq) }
    if let why = audit.basisProblem(basis, terminal: terminal) { throw .notABasis(why) }
    return AccountLookup(
      terminal: terminal, card: card, basis: basis, headSeq: state.lastSeq,
      state: audit.lookUp(card: card, terminal: terminal, basis: basis))
  }
}

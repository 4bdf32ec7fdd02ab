import LedgerFormat
import LoyaltyCore

/// A finding turned into HQ's `block` entries, one per suspect card: the audit applies HQ's block
/// as it is (`AuditReplay.takeHQ`), the reducer marks the card blocked on its account, and every
/// counter learns it at its next sync and refuses the card from then on (the account stays
/// intact: its other cards, its points).
///
/// Each block's id is the finding's and the card's (`blockID`), so a second run appends nothing:
/// a card already blocked, or already blocked for this finding, is passed over.
public enum FraudBlocks {
  /// What a block of a finding's suspect cards comes to on the ledger as it stands.
  public struct Plan: Sendable {
    /// The block entries to append (HQ's, at the time given).
    public var entries: [Entry] = []
    /// Suspect cards already blocked (masked).
    public var alreadyBlocked: [String] = []
    /// Suspect cards in no account, which nothing can block (masked).
    public var inNoAccount: [String] = []

    public init() {}
  }

  /// The id of HQ's block of `card` for finding `finding`: deterministic per finding and card,
  /// without the card's number.
  public static func blockID(finding: String, card: String) -> String {
    "block-\(finding)-" + LedgerLine.hash(Array("loyalty/finding-block/v1\n\(finding)\n\(card)".utf8)).prefix(12)
  }

  /// The blocks of `finding`'s suspect cards on `fold` (the audited ledger as it stands), at
  /// `at`, with `reason` kept in each entry's data next to the finding's id.
  public static func plan(_ finding: FraudFinding, fold: LedgerFold, at: UTCInstant, reason: String) -> Plan {
    var plan = Plan()
    var holders: [String: String] = [:]
    let suspects = Set(finding.suspectCards)
    for (id, account) in fold.accounts {
      for card in account.cards where suspects.contains(card) { holders[card] = id }
    }
    var seen: Set<String> = []
    for card in finding.suspectCards where seen.insert(card).inserted {
      let id = blockID(finding: finding.id, card: card)
      guard let account = holders[card] else {
        plan.inNoAccount.append(CardID.masked(card))
        continue
      }
      guard fold.accounts[account]?.blockedCards.contains(card) == false, !fold.audit.contains(id: id) else {
        plan.alreadyBlocked.append(CardID.masked(card))
        continue
      }
      plan.entries.append(
        Entry(
          kind: .block, id: id, at: at, terminal: Entry.hq, account: account, card: card, points: 0,
          data: "finding \(finding.id): \(reason)"))
    }
    return plan
  }
}

import LedgerFormat
import LoyaltyCore

/// One pattern a fraud detector found in the ledger, with the entries behind it, for HQ to look
/// into (and, where a card is the suspect, to block: `FraudBlocks`).
///
/// What it shows never holds a full card number: its card is masked (`****1234`), and so is a card
/// number inside an entry's id (`link-****1234`). The full numbers of the cards a block would stop
/// are in `suspectCards`, which HQ's tools use and never print.
public struct FraudFinding: Hashable, Sendable {
  /// What a detector looks for. Each case is one detector (`detect`); one more is one case and
  /// one function.
  public enum Kind: String, CaseIterable, Sendable {
    /// One card on many customers' baskets at one terminal in one UTC day.
    case cardOnManyBaskets
    /// An account quiet for `dormantDays`, then redeemed at a shop other than its home shop.
    case dormantRedeemedElsewhere
    /// A referrer whose referees' first purchases are just above the referral's minimum.
    case referralMinimalFirstPurchases
    /// A link or block written by a terminal other than the account's home shop.
    case linkOrBlockOfOtherShopsCustomer
    /// A reversal of a receipt earned at another terminal.
    case refundOfOtherShopsReceipt
    /// Redemptions without a card's signature (`CardProof`) from other shops' customers.
    case spendingWithoutCardProof
  }

  /// An entry behind a finding: where it is in the ledger and what it is.
  public struct EntryRef: Hashable, Sendable {
    public var seq: Int64
    /// The entry's id, a card number in it masked.
    public var id: String
    public var kind: Entry.Kind
    public var terminal: String
    public var at: UTCInstant

    public init(_ e: LedgerEntry) {
      seq = e.seq
      kind = e.kind
      terminal = e.terminal
      at = e.at
      id = CardID.maskingCards(in: e.id)
    }
  }

  /// "F-" and 12 hex digits of a digest of the kind and what the finding is about (its terminal
  /// and day, its entries): the same finding has the same id on every run, whatever period the
  /// run reads, as long as the ledger holds the same entries behind it.
  public var id: String
  public var kind: Kind
  /// The account concerned (the suspect's or the victim's, as the kind says).
  public var account: String?
  /// The card concerned, masked.
  public var card: String?
  /// The terminals whose entries are behind the finding, sorted.
  public var terminals: [String]
  /// One line of English with the figures.
  public var summary: String
  /// The entries behind it, in ledger order.
  public var entries: [EntryRef]
  /// The full numbers of the cards a block would stop (none where the card's holder is the
  /// victim, not the suspect). Never printed.
  public var suspectCards: [String]

  /// A finding of `kind` about `subject` (what makes it this finding and no other), behind
  /// `entries`. `card` is the full number; the finding keeps it masked.
  init(
    kind: Kind, subject: String, account: String?, card: String?, summary: String, entries: [LedgerEntry],
    suspectCards: [String]
  ) {
    id = "F-" + LedgerLine.hash(Array("loyalty/finding/v1\n\(kind.rawValue)\n\(subject)".utf8)).prefix(12)
    self.kind = kind
    self.account = account
    self.card = card.map(CardID.masked)
    let sorted = entries.sorted { $0.seq < $1.seq }
    terminals = Set(sorted.map(\.terminal)).sorted()
    self.summary = summary
    self.entries = sorted.map(EntryRef.init)
    self.suspectCards = suspectCards
  }
}

extension FraudFinding.Kind {
  /// The detector that reports this kind.
  var detect: (FraudLedger) -> [FraudFinding] {
    switch self {
    case .cardOnManyBaskets: FraudDetectors.cardOnManyBaskets
    case .dormantRedeemedElsewhere: FraudDetectors.dormantRedeemedElsewhere
    case .referralMinimalFirstPurchases: FraudDetectors.referralMinimalFirstPurchases
    case .linkOrBlockOfOtherShopsCustomer: FraudDetectors.linkOrBlockOfOtherShopsCustomer
    case .refundOfOtherShopsReceipt: FraudDetectors.refundOfOtherShopsReceipt
    case .spendingWithoutCardProof: FraudDetectors.spendingWithoutCardProof
    }
  }
}

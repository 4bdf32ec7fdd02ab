/// One event of the loyalty chain — the same value wherever it is: decided at a counter or by HQ,
/// kept in a terminal's cache, written as a ledger line, folded by every reader.
public struct Entry: Hashable, Sendable {
  /// What happened. Exhaustive: every adapter switches over this one enum, and an unknown kind
  /// read from outside is an error, never mapped to another.
  public enum Kind: String, CaseIterable, Sendable {
    case enroll, link, block, earn, redeem, reversal, referralBonus, adjustment, expiry
    case program, terminalRegister, terminalRevoke, seal
    /// HQ's ledger was restored from a backup: the line follows the backup's last sealed line,
    /// its `data` is that line's seq, and its own seq is past every seq the lost history used
    /// (the numbers between are the lost history's, so a basis among them says so).
    case restore

    /// Kinds a terminal may append (everything else is HQ's).
    public var isCounterKind: Bool {
      switch self {
      case .enroll, .link, .block, .earn, .redeem, .reversal, .referralBonus: true
      case .adjustment, .expiry, .program, .terminalRegister, .terminalRevoke, .seal, .restore: false
      }
    }

    /// Kinds that change one cardholder account (the reducer's domain).
    public var concernsAnAccount: Bool {
      switch self {
      case .enroll, .link, .block, .earn, .redeem, .reversal, .referralBonus, .adjustment, .expiry: true
      case .program, .terminalRegister, .terminalRevoke, .seal, .restore: false
      }
    }
  }

  public var kind: Kind
  /// Globally unique; deterministic for once-only events (enrolment, referral bonuses).
  public var id: String
  public var at: UTCInstant
  /// The writer: a terminal id, or `Entry.hq`.
  public var terminal: String

  /// The writer id of HQ's own entries and seals (never a terminal's id).
  public static let hq = "HQ"
  public var account: String?
  public var card: String?
  /// Signed points delta.
  public var points: Int64?
  /// Minor units, with `currency`.
  public var amount: Int64?
  public var currency: String?
  public var receipt: String?
  /// The original entry (a reversal's earn), a referrer's or referee's account, a linked card.
  public var ref: String?
  /// Kind-specific text: a program's JSON, a terminal's public key, a redeemed catalogue item, the
  /// public key of a card enrolled or linked that can sign (`CardProof`; nil: the card cannot).
  public var data: String?
  /// An earn's basket, as decided (what the audit re-derives its points from).
  public var lines: [PurchaseLine]?
  /// The program version an earn or a redemption applied.
  public var version: Int64?
  /// The tier an earn applied (before this purchase).
  public var tier: String?
  /// An earn's return window: the `pendingDays` of the program version it was decided under, for
  /// which its points are pending (0: none). Nil on an earn recorded before windows were: the
  /// window of the program in force applies to it (`ReturnWindow`).
  public var pendingDays: Int?
  /// Counter entries: the ledger position (seq of the last sealed line) the terminal had synced
  /// to when it decided, 0 before its first sync. The audit replays the account as of there.
  public var basis: Int64?
  /// A card's signature over this entry (`CardProof`): on a redemption, made by the card redeeming;
  /// on a link, by the account's existing card. Nil when no card signed.
  public var proof: String?

  /// The `data` of a provisional earn: decided on a card its counter did not know, recorded
  /// against the card's deterministic account (`Decisions.provisionalEarn`).
  public static let provisional = "provisional"

  /// Whether this is a provisional earn.
  public var isProvisional: Bool { kind == .earn && data == Entry.provisional }

  public init(
    kind: Kind, id: String, at: UTCInstant, terminal: String, account: String? = nil, card: String? = nil,
    points: Int64? = nil, amount: Int64? = nil, currency: String? = nil, receipt: String? = nil, ref: String? = nil,
    data: String? = nil, lines: [PurchaseLine]? = nil, version: Int64? = nil, tier: String? = nil,
    pendingDays: Int? = nil, basis: Int64? = nil, proof: String? = nil
  ) {
    self.kind = kind
    self.id = id
    self.at = at
    self.terminal = terminal
    self.account = account
    self.card = card
    self.points = points
    self.amount = amount
    self.currency = currency
    self.receipt = receipt
    self.ref = ref
    self.data = data
    self.lines = lines
    self.version = version
    self.tier = tier
    self.pendingDays = pendingDays
    self.basis = basis
    self.proof = proof
  }
}

/// Who records an operation, where, when, and on what ledger position.
public struct OperationContext: Hashable, Sendable {
  public var terminal: String
  public var `operator`: String
  public var at: UTCInstant
  /// The ledger position the terminal has synced to (0 before its first sync): every entry it
  /// decides carries it as its basis.
  public var basis: Int64

  public init(terminal: String, operator: String, at: UTCInstant, basis: Int64 = 0) {
    self.terminal = terminal
    self.operator = `operator`
    self.at = at
    self.basis = basis
  }
}

extension Entry {
  /// "account A, N points": what an entry would have moved, for a refusal's listing (nil when it
  /// concerns no account).
  public var accountAndPoints: String? {
    guard let account, kind.concernsAnAccount else { return nil }
    return "account \(account), \(points ?? 0) points"
  }
}

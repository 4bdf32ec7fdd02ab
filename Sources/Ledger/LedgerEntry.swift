import LoyaltyCore

/// One line of the ledger: a points event, an HQ act, or the seal that closes a batch.
///
/// Written as one JSON object per line with the fields in a fixed order and no spaces
/// (`LedgerLine.encode`), so a line's bytes are its identity: the next line carries their SHA-256.
public struct LedgerEntry: Hashable, Sendable {
  public enum Kind: String, CaseIterable, Sendable {
    case enroll, link, block, earn, redeem, reversal, referralBonus, adjustment, expiry
    case program, terminalRegister, terminalRevoke, seal

    /// Kinds a terminal may append (everything else is HQ's).
    public var isCounterKind: Bool {
      switch self {
      case .enroll, .link, .block, .earn, .redeem, .reversal, .referralBonus: true
      default: false
      }
    }
  }

  public var seq: Int64
  public var kind: Kind
  /// Globally unique; deterministic for once-only events (enrolment, referral bonuses).
  public var id: String
  public var at: UTCInstant
  /// The writer: a terminal id, or "HQ".
  public var terminal: String
  public var account: String?
  public var card: String?
  /// Signed points delta.
  public var points: Int64?
  /// Minor units, with `currency`.
  public var amount: Int64?
  public var currency: String?
  public var receipt: String?
  /// The original entry (a reversal's earn), a referrer, a linked card.
  public var ref: String?
  /// Kind-specific text: a program's JSON, a terminal's public key, a catalogue item.
  public var data: String?
  /// Seals only: how many entries the seal closes, the signing public key, the signature.
  public var count: Int?
  public var key: String?
  public var sig: String?
  /// SHA-256 (hex) of the previous line's bytes.
  public var prev: String

  public init(
    seq: Int64 = 0, kind: Kind, id: String, at: UTCInstant, terminal: String, account: String? = nil,
    card: String? = nil, points: Int64? = nil, amount: Int64? = nil, currency: String? = nil, receipt: String? = nil,
    ref: String? = nil, data: String? = nil, count: Int? = nil, key: String? = nil, sig: String? = nil,
    prev: String = ""
  ) {
    self.seq = seq
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
    self.count = count
    self.key = key
    self.sig = sig
    self.prev = prev
  }
}

/// The first line of a ledger: its format and HQ's public key.
public struct LedgerHeader: Hashable, Sendable {
  public static let format = "loyalty-ledger/1"
  public var hqKey: String
  public var created: UTCInstant

  public init(hqKey: String, created: UTCInstant) {
    self.hqKey = hqKey
    self.created = created
  }
}

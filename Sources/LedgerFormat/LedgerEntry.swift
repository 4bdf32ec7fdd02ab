import LoyaltyCore

/// One line of the ledger: an `Entry` (a points event or an HQ act) or the seal that closes a
/// batch, with its place in the file.
///
/// Written as one JSON object per line with the fields in a fixed order and no spaces
/// (`LedgerLine.encode`), so a line's bytes are its identity: the next line carries their SHA-256.
/// The entry's fields read through (`line.kind`, `line.points`): there is one entry type, the
/// core's; this adds only what the file needs.
@dynamicMemberLookup
public struct LedgerEntry: Hashable, Sendable {
  public typealias Kind = Entry.Kind

  public var seq: Int64
  /// The event itself.
  public var entry: Entry
  /// Seals only: how many entries the seal closes, the signing public key, the signature.
  public var count: Int?
  public var key: String?
  public var sig: String?
  /// SHA-256 (hex) of the previous line's bytes.
  public var prev: String

  public subscript<T>(dynamicMember field: WritableKeyPath<Entry, T>) -> T {
    get { entry[keyPath: field] }
    set { entry[keyPath: field] = newValue }
  }

  /// An entry at its place in the file.
  public init(_ entry: Entry, seq: Int64 = 0, prev: String = "") {
    self.entry = entry
    self.seq = seq
    self.prev = prev
  }

  public init(
    seq: Int64 = 0, kind: Kind, id: String, at: UTCInstant, terminal: String, account: String? = nil,
    card: String? = nil, points: Int64? = nil, amount: Int64? = nil, currency: String? = nil, receipt: String? = nil,
    ref: String? = nil, data: String? = nil, count: Int? = nil, key: String? = nil, sig: String? = nil,
    prev: String = ""
  ) {
    self.seq = seq
    self.entry = Entry(
      kind: kind, id: id, at: at, terminal: terminal, account: account, card: card, points: points, amount: amount,
      currency: currency, receipt: receipt, ref: ref, data: data)
    self.count = count
    self.key = key
    self.sig = sig
    self.prev = prev
  }
}

/// The first line of a ledger: its format and HQ's public key.
public struct LedgerHeader: Hashable, Sendable {
  public static let format = "loyalty-ledger/2"
  public var hqKey: String
  public var created: UTCInstant

  public init(hqKey: String, created: UTCInstant) {
    self.hqKey = hqKey
    self.created = created
  }
}

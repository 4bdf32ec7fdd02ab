/// What of an account's state a holder's indexes follow — its cards, blocked cards and receipt
/// ids — and its balance. A sync reads these from an account's old canonical bytes
/// (`AccountStateEncoding.keys`) without building the state: the balance leaves the replica's
/// liability, and its card and receipt indexes move by the difference to the new state.
public struct StateKeys: Sendable, Equatable {
  public var cards: Set<String>
  public var blockedCards: Set<String>
  public var receipts: Set<String>
  public var balance: Int64

  public init(cards: Set<String>, blockedCards: Set<String>, receipts: Set<String>, balance: Int64) {
    self.cards = cards
    self.blockedCards = blockedCards
    self.receipts = receipts
    self.balance = balance
  }

  /// The keys of an account with nothing yet (a row known to the cache, no state on it).
  public static let none = StateKeys(cards: [], blockedCards: [], receipts: [], balance: 0)

  /// The keys of a state already built.
  public init(_ state: AccountState) {
    self.init(
      cards: state.cards, blockedCards: state.blockedCards, receipts: Set(state.receipts.keys), balance: state.balance)
  }
}

extension AccountStateEncoding {
  /// The keys of the state `bytes` encode (`loyalty-state/1` or `/2`), read as `decode` reads
  /// them up to the receipts and no further: what is after them is not checked here.
  public static func keys(_ bytes: some Collection<UInt8>) throws(RuleError) -> StateKeys {
    var r = Reader(Array(bytes))
    let encoding = try r.byte()
    guard encoding == version || encoding == legacyVersion else {
      throw r.fail("not a loyalty-state/\(version) encoding")
    }
    _ = try r.text()
    _ = try r.optional()
    _ = try r.optional()
    _ = try r.optionalText()
    _ = try r.flag()
    _ = try r.zigzag()
    _ = try r.varint()
    let deficit = try r.int64()
    var total: Int64 = 0
    for _ in 0..<(try r.count()) {
      _ = try r.zigzag()
      _ = try r.zigzag()
      let (sum, overflow) = total.addingReportingOverflow(try r.int64())
      guard !overflow else { throw r.fail("an account's points overflow") }
      total = sum
    }
    let cards = Set(try r.sortedTexts())
    let blocked = Set(try r.sortedTexts())
    for _ in 0..<(try r.count()) {
      _ = try r.text()
      _ = try r.text()
    }
    var receipts: Set<String> = []
    for _ in 0..<(try r.count()) {
      receipts.insert(try r.text())
      for _ in 0..<5 { _ = try r.zigzag() }
      _ = try r.optional(signed: false)
    }
    return StateKeys(cards: cards, blockedCards: blocked, receipts: receipts, balance: total - deficit)
  }
}

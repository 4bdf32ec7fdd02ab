/// The one canonical byte encoding of an account's state (`loyalty-state/2`): what HQ's epochs
/// digest, what a state delta carries and what a terminal's replica stores. One state has exactly
/// one encoding and a decoder accepts nothing else (minimal varints, sets sorted and without
/// repeats, no byte left over), so two holders of equal states hash equal bytes.
///
/// Layout, in order (varint: LEB128, unsigned; zigzag: a signed value as a varint; text: a varint
/// length then UTF-8; optional: a byte 0 or 1, then the value when 1):
///  1. the version byte, 1;
///  2. the id (text); enrolledAt, lastActivity (optional zigzag seconds); referrer (optional text);
///     referralSettled (byte); lifetimeSpend (zigzag); purchases (varint);
///  3. the points: deficit (varint), then the lots in their order (count; earnedAt, expiresAt as
///     zigzag seconds, remaining as varint);
///  4. the cards (count; sorted text), the blocked cards (count; sorted text), the card keys
///     (count; sorted by card: card text, key text);
///  5. the receipts (count; sorted by id: id text, at zigzag, amount, points, refunded, reversed
///     as zigzag, pendingDays optional varint);
///  6. the tier days (count; by day, strictly rising: day zigzag, spend varint, visits varint).
///
/// `decode` also reads `loyalty-state/1` (no tier days), what caches held before version 2, so
/// a counter keeps serving until its next sync takes the replica afresh; it is never written.
public enum AccountStateEncoding {
  public static let version: UInt8 = 2
  /// The version written before tier days: read, never written.
  public static let legacyVersion: UInt8 = 1
  /// The longest text a state may hold (ids, cards, keys), in bytes.
  public static let maxText = 1024
  /// The most items of one list a state may hold.
  public static let maxItems = 1 << 20

  /// The canonical bytes of `state`.
  public static func encode(_ state: AccountState) -> [UInt8] {
    var w = Writer()
    w.bytes.reserveCapacity(
      96 + state.lots.lots.count * 12 + state.receipts.count * 48 + state.tierDays.days.count * 8)
    w.bytes.append(version)
    w.text(state.id)
    w.optional(state.enrolledAt.map(\.seconds))
    w.optional(state.lastActivity.map(\.seconds))
    w.optionalText(state.referrer)
    w.bytes.append(state.referralSettled ? 1 : 0)
    w.zigzag(state.lifetimeSpend)
    w.varint(UInt64(max(0, state.purchases)))
    w.varint(UInt64(state.lots.deficit))
    w.varint(UInt64(state.lots.lots.count))
    for lot in state.lots.lots {
      w.zigzag(lot.earnedAt.seconds)
      w.zigzag(lot.expiresAt.seconds)
      w.varint(UInt64(lot.remaining))
    }
    w.texts(state.cards.sorted())
    w.texts(state.blockedCards.sorted())
    w.varint(UInt64(state.cardKeys.count))
    for (card, key) in state.cardKeys.sorted(by: { $0.key < $1.key }) {
      w.text(card)
      w.text(key)
    }
    w.varint(UInt64(state.receipts.count))
    for (id, r) in state.receipts.sorted(by: { $0.key < $1.key }) {
      w.text(id)
      w.zigzag(r.at)
      w.zigzag(r.amount)
      w.zigzag(r.points)
      w.zigzag(r.refunded)
      w.zigzag(r.reversed)
      w.optional(r.pendingDays.map { Int64($0) }, signed: false)
    }
    w.varint(UInt64(state.tierDays.days.count))
    for d in state.tierDays.days {
      w.zigzag(d.day)
      w.varint(UInt64(d.spend))
      w.varint(UInt64(d.visits))
    }
    return w.bytes
  }

  /// The state `bytes` encode, or a `RuleError` naming what is not canonical.
  public static func decode(_ bytes: some Collection<UInt8>) throws(RuleError) -> AccountState {
    var r = Reader(Array(bytes))
    let encoding = try r.byte()
    guard encoding == version || encoding == legacyVersion else {
      throw r.fail("not a loyalty-state/\(version) encoding")
    }
    var state = AccountState(id: try r.text())
    state.enrolledAt = try r.optional().map(UTCInstant.init(seconds:))
    state.lastActivity = try r.optional().map(UTCInstant.init(seconds:))
    state.referrer = try r.optionalText()
    state.referralSettled = try r.flag()
    state.lifetimeSpend = try r.zigzag()
    guard let purchases = Int(exactly: try r.varint()) else { throw r.fail("purchases out of range") }
    state.purchases = purchases
    let deficit = try r.int64()
    var lots: [PointLots.Lot] = []
    for _ in 0..<(try r.count()) {
      let earned = try r.zigzag()
      let expires = try r.zigzag()
      lots.append(
        .init(earnedAt: UTCInstant(seconds: earned), expiresAt: UTCInstant(seconds: expires), remaining: try r.int64()))
    }
    state.lots = try PointLots(lots: lots, deficit: deficit)
    state.cards = Set(try r.sortedTexts())
    state.blockedCards = Set(try r.sortedTexts())
    var previous: String?
    for _ in 0..<(try r.count()) {
      let card = try r.text()
      guard previous.map({ $0 < card }) ?? true else { throw r.fail("card keys not sorted") }
      previous = card
      state.cardKeys[card] = try r.text()
    }
    previous = nil
    for _ in 0..<(try r.count()) {
      let id = try r.text()
      guard previous.map({ $0 < id }) ?? true else { throw r.fail("receipts not sorted") }
      previous = id
      let at = try r.zigzag()
      let amount = try r.zigzag()
      let points = try r.zigzag()
      let refunded = try r.zigzag()
      let reversed = try r.zigzag()
      var pendingDays: Int?
      if let days = try r.optional(signed: false) {
        guard let d = Int(exactly: days), d <= 36_500 else { throw r.fail("pending days \(days)") }
        pendingDays = d
      }
      state.receipts[id] = Receipt(
        account: state.id, at: at, amount: amount, points: points, refunded: refunded, reversed: reversed,
        pendingDays: pendingDays)
    }
    if encoding == version {
      var days: [TierDays.Day] = []
      for _ in 0..<(try r.count()) {
        let day = try r.zigzag()
        let spend = try r.int64()
        guard let visits = Int(exactly: try r.varint()) else { throw r.fail("visits out of range") }
        guard days.last.map({ $0.day < day }) ?? true else { throw r.fail("tier days not in order") }
        days.append(.init(day: day, spend: spend, visits: visits))
      }
      state.tierDays = try TierDays(days: days)
    }
    guard r.atEnd else { throw r.fail("\(r.remaining) bytes after the state") }
    return state
  }
}

import LedgerFormat
import LoyaltyCore

/// Per-shop books: what each shop's entries did to the points the chain owes, per shop and per
/// UTC day — points issued, redeemed and reversed at each terminal, expired and adjusted by HQ —
/// and the flows between shops (points of one shop's customers redeemed at another), so finance
/// can charge the points a shop issues to that shop. A shop is a terminal; a customer's home shop
/// is the terminal that enrolled the account.
///
/// Built from the entries the audit accepted, in ledger order: every point of every balance is in
/// exactly one cell, so the books' net equals the sum of the ledger's balances.
public struct ShopBooks: Sendable {
  /// One cell: the points of each column (issued positive, redeemed and expired negative; reversed
  /// and adjusted either way), and their sum.
  public struct Line: Hashable, Sendable {
    public var issued: Int64 = 0
    public var redeemed: Int64 = 0
    public var reversed: Int64 = 0
    public var expired: Int64 = 0
    public var adjusted: Int64 = 0

    public init() {}

    /// What the cell adds to what the chain owes.
    public var net: Int64 {
      // Each column is a sum of bounded entries already checked on the way in.
      issued &+ redeemed &+ reversed &+ expired &+ adjusted
    }

    /// Adds `points` to `column`; false when the sum would not fit in 64 bits.
    mutating func add(_ points: Int64, to column: Entry.Kind.BookColumn) -> Bool {
      func add(_ value: inout Int64) -> Bool {
        let (sum, overflow) = value.addingReportingOverflow(points)
        value = sum
        return !overflow
      }
      switch column {
      case .issued: return add(&issued)
      case .redeemed: return add(&redeemed)
      case .reversed: return add(&reversed)
      case .expired: return add(&expired)
      case .adjusted: return add(&adjusted)
      }
    }
  }

  /// shop → day (`YYYY-MM-DD`, UTC) → its line.
  public private(set) var days: [String: [String: Line]] = [:]
  /// shop where the points were redeemed → the customers' home shop → points redeemed (positive).
  public private(set) var flows: [String: [String: Int64]] = [:]
  /// Every shop's line over the period.
  public private(set) var shops: [String: Line] = [:]
  public private(set) var total = Line()
  /// The period counted, [from, until); either end open when nil. Home shops are learnt from the
  /// whole ledger.
  public let from: UTCInstant?
  public let until: UTCInstant?
  /// Each account's home shop: the terminal that enrolled it.
  var home = HomeShops()

  public init(from: UTCInstant? = nil, until: UTCInstant? = nil) {
    self.from = from
    self.until = until
  }

  /// Books an entry the audit accepted (in ledger order).
  public mutating func take(_ e: Entry) throws(LedgerError) {
    home.take(e)
    guard let column = e.kind.bookColumn, let points = e.points, points != 0 else { return }
    if let from, e.at < from { return }
    if let until, e.at >= until { return }
    let shop = e.terminal
    let day = e.at.date
    guard days[shop, default: [:]][day, default: Line()].add(points, to: column),
      shops[shop, default: Line()].add(points, to: column), total.add(points, to: column)
    else { throw LedgerError(line: 0, "the books of shop \(shop) on \(day) do not fit in 64 bits") }
    if column == .redeemed, let account = e.account, let homeShop = home[account], homeShop != shop {
      let (sum, overflow) = flows[shop, default: [:]][homeShop, default: 0].addingReportingOverflow(-points)
      guard !overflow else {
        throw LedgerError(line: 0, "the flow from \(homeShop) to \(shop) does not fit in 64 bits")
      }
      flows[shop, default: [:]][homeShop] = sum
    }
  }
}

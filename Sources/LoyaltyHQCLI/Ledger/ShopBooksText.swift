import HQBackOffice
import LoyaltyCore

/// The per-shop books as `ledger report` prints them: each shop's line over the period, then each
/// shop's days, then the flows between shops; and as JSON.
enum ShopBooksText {
  /// "issued +120, redeemed -30, reversed -10, expired 0, adjusted 0: net +80".
  static func line(_ l: ShopBooks.Line) -> String {
    let s = LedgerEntryListing.signed
    return "issued \(s(l.issued)), redeemed \(s(l.redeemed)), reversed \(s(l.reversed)), expired \(s(l.expired)), "
      + "adjusted \(s(l.adjusted)): net \(s(l.net))"
  }

  /// The books in words; `balancesTotal`, given for a report over the whole ledger, is checked
  /// against the books' net.
  static func text(_ books: ShopBooks, balancesTotal: Int64?) -> String {
    var text = "\nper-shop books (points; a shop is a terminal, HQ's expiries and adjustments under HQ):"
    for (shop, l) in books.shops.sorted(by: { $0.key < $1.key }) { text += "\n  \(shop)  \(line(l))" }
    text += "\n  all shops  \(line(books.total))"
    if let balancesTotal {
      text +=
        books.total.net == balancesTotal
        ? "\n  the books' net equals the sum of the ledger's balances (\(balancesTotal))"
        : "\n  the books' net \(books.total.net) differs from the sum of the ledger's balances (\(balancesTotal))"
    }
    text += "\nper shop and day:"
    for (shop, days) in books.days.sorted(by: { $0.key < $1.key }) {
      for (day, l) in days.sorted(by: { $0.key < $1.key }) { text += "\n  \(day)  \(shop)  \(line(l))" }
    }
    text += "\npoints of one shop's customers redeemed at another (home shop: the terminal that enrolled them):"
    if books.flows.isEmpty { text += " none" }
    for (at, homes) in books.flows.sorted(by: { $0.key < $1.key }) {
      for (home, points) in homes.sorted(by: { $0.key < $1.key }) {
        text += "\n  at \(at), of \(home)'s customers: \(LedgerEntryListing.points(points))"
      }
    }
    return text
  }

  static func object(_ l: ShopBooks.Line) -> [String: Any] {
    [
      "issued": l.issued, "redeemed": l.redeemed, "reversed": l.reversed, "expired": l.expired,
      "adjusted": l.adjusted, "net": l.net,
    ]
  }

  static func object(_ books: ShopBooks, balancesTotal: Int64) -> [String: Any] {
    [
      "shops": books.shops.mapValues(object),
      "days": books.days.mapValues { $0.mapValues(object) },
      "flows": books.flows,
      "total": object(books.total),
      "balancesTotal": balancesTotal,
    ]
  }
}

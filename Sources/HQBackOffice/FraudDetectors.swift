import LedgerFormat
import LoyaltyCore

/// HQ's fraud detectors, each a function of the audited ledger (`FraudLedger`) that returns its
/// findings, named by a case of `FraudFinding.Kind`. A detector reads only what the ledger holds:
/// entries carry a terminal, never the operator at it, so "one operator" is one terminal.
enum FraudDetectors {
  /// One card on many customers' baskets — a cashier's own card presented on other people's
  /// sales. Entries name no operator, so the terminal is the unit: a card earning more than
  /// `maxCardEarnsPerDay` times at one terminal in one UTC day, or holding more than
  /// `maxCardSharePercent` of the terminal's earns that day when it recorded at least
  /// `minShopEarnsForShare`. One finding per card, terminal and day; the card is the suspect.
  static func cardOnManyBaskets(_ ledger: FraudLedger) -> [FraudFinding] {
    struct ShopDay: Hashable {
      var terminal: String
      var day: String
    }
    struct CardAtShop: Hashable {
      var shop: ShopDay
      var card: String
    }
    let t = ledger.thresholds
    var earnsOfCard: [CardAtShop: [LedgerEntry]] = [:]
    var earnsOfShop: [ShopDay: Int64] = [:]
    for e in ledger.entries where e.kind == .earn {
      guard let card = e.card else { continue }
      let shop = ShopDay(terminal: e.terminal, day: e.at.date)
      earnsOfCard[CardAtShop(shop: shop, card: card), default: []].append(e)
      earnsOfShop[shop, default: 0] += 1
    }
    var findings: [FraudFinding] = []
    for (key, earns) in earnsOfCard {
      // Counts of entries held in memory: far from overflowing, even times 100.
      let count = Int64(earns.count)
      let total = earnsOfShop[key.shop] ?? count
      let tooMany = count > t.maxCardEarnsPerDay
      let tooLarge = total >= t.minShopEarnsForShare && count * 100 > t.maxCardSharePercent * total
      guard tooMany || tooLarge else { continue }
      let summary =
        "card \(CardID.masked(key.card)) earned \(count) times at \(key.shop.terminal) on \(key.shop.day), "
        + "\(count) of the shop's \(total) earns that day (\(count * 100 / total)%; a finding above "
        + "\(t.maxCardEarnsPerDay) earns, or above \(t.maxCardSharePercent)% of at least \(t.minShopEarnsForShare))"
      findings.append(
        FraudFinding(
          kind: .cardOnManyBaskets, subject: "\(key.shop.terminal)\n\(key.shop.day)\n\(key.card)",
          account: earns.last?.account, card: key.card, summary: summary, entries: earns, suspectCards: [key.card]))
    }
    return findings
  }

  /// "1 day", "200 days".
  static func days(_ n: Int64) -> String { n == 1 ? "1 day" : "\(n) days" }
}

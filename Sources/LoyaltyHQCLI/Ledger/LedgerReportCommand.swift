import ArgumentParser
import Foundation
import HQBackOffice
import LedgerFormat
import LedgerStore
import LoyaltyCLISupport
import LoyaltyCore

/// `loyalty-hq ledger report`: liability, lifetime spend, frequency, inactive and overdrawn.
struct LedgerReportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "report",
    abstract: "Points liability, lifetime spend per customer, purchase frequency, inactive and overdrawn accounts.")

  @OptionGroup var file: LedgerFileOption
  var ledger: String { file.ledger }

  @Option(help: "Period start (UTC, inclusive) for the purchase frequency.")
  var from: UTCInstant?

  @Option(help: "Period end (UTC, exclusive).")
  var until: UTCInstant?

  @Option(help: "Inactivity is measured back from here (UTC; default the latest entry).")
  var asOf: UTCInstant?

  @Option(help: "Days without activity that make a customer inactive.")
  var inactiveDays: Int = 60

  @Flag(help: "Print JSON.")
  var json = false

  func validate() throws {
    guard (1...36_500).contains(inactiveDays) else {
      throw ValidationError("--inactive-days must be 1-36500 (100 years), got \(inactiveDays)")
    }
  }

  func run() throws {
    try reportLedger(json: json) {
      let r = try LedgerReport.build(
        path: ledger, from: from, until: until, asOf: asOf, inactiveDays: inactiveDays)
      let frequency = "\(r.frequencyMillis / 1000).\(String(format: "%03d", r.frequencyMillis % 1000))"
      var text = """
        points liability: \(LedgerEntryListing.points(r.pointsLiability))
        purchase frequency: \(LedgerEntryListing.count(r.orders, "order")) / \(LedgerEntryListing.count(r.uniqueCustomers, "customer")) = \(frequency)
        inactive ≥ \(LedgerEntryListing.count(r.inactiveDays, "day")) as of \(r.asOf): \(LedgerEntryListing.count(r.inactive.count, "customer"))
        overdrawn accounts: \(r.overdrawn.count)
        """
      for (id, balance) in r.overdrawn.sorted(by: { $0.key < $1.key }) { text += "\n  \(id)  \(balance)" }
      text += "\nrefused at admission (never appended): \(r.refusedAtAdmission.count)"
      for line in r.refusedAtAdmission.suffix(20) { text += "\n  \(CardID.maskingCards(in: line))" }
      text += "\nin the file but left out by the audit (written past the admission): \(r.refused.count)"
      for line in r.refused { text += "\n  \(CardID.maskingCards(in: line))" }
      text += "\nover-reversed receipts (refunds kept from several counters): \(r.overReversals.count)"
      for o in r.overReversals {
        text +=
          "\n  \(o.receipt)  account \(o.account): \(LedgerEntryListing.points(o.excessPoints)), \(r.money(o.excessAmount)) "
          + "beyond the purchase"
      }
      text += "\nprovisional points not in any balance (cards earned on before a counter knew them): "
      text += "\(r.provisionalHolds.count)"
      for h in r.provisionalHolds {
        text +=
          "\n  card \(CardID.masked(h.card)): \(LedgerEntryListing.points(h.points)) on \(h.heldOn), "
          + (h.belongsTo.map {
            "but the card was linked to \($0): `ledger settle-provisional` moves them there"
          }
            ?? "waiting for the card's enrolment")
      }
      text += "\ncards claimed by two accounts offline (an enrolment and a link): \(r.claimedTwice.count)"
      for c in r.claimedTwice {
        text +=
          "\n  card \(CardID.masked(c.card)) earns on \(c.stands) (where its claim stands) and, at the counter that "
          + "made its other claim, on \(c.others.joined(separator: ", ")): if one cardholder's, move points between "
          + "them with `ledger adjust`"
      }
      text += ShopBooksText.text(r.books, balancesTotal: r.from == nil && r.until == nil ? r.balancesTotal : nil)
      text += "\nlifetime spend, top 10:"
      for (id, spend) in r.lifetimeSpend.sorted(by: { ($0.value, $1.key) > ($1.value, $0.key) }).prefix(10) {
        text += "\n  \(id)  \(r.money(spend))"
      }
      return (
        text,
        [
          "pointsLiability": r.pointsLiability, "orders": r.orders, "uniqueCustomers": r.uniqueCustomers,
          "purchaseFrequency": frequency, "inactive": r.inactive, "overdrawn": r.overdrawn,
          "lifetimeSpend": r.lifetimeSpend, "refused": r.refusedRecords.map(Self.masked),
          "refusedAtAdmission": r.refusedAtAdmissionRecords.map(Self.masked),
          "currency": r.currency ?? NSNull(), "minorUnits": r.minorUnits,
          "overReversals": r.overReversals.map {
            [
              "receipt": $0.receipt, "account": $0.account, "excessPoints": $0.excessPoints,
              "excessAmount": $0.excessAmount,
            ]
              as [String: Any]
          },
          "provisionalHolds": r.provisionalHolds.map {
            [
              "card": CardID.masked($0.card), "heldOn": $0.heldOn, "belongsTo": $0.belongsTo ?? NSNull(),
              "points": $0.points,
            ]
              as [String: Any]
          },
          "claimedTwice": r.claimedTwice.map {
            ["card": CardID.masked($0.card), "stands": $0.stands, "others": $0.others] as [String: Any]
          },
          "asOf": r.asOf.description,
          "books": ShopBooksText.object(r.books, balancesTotal: r.balancesTotal),
        ]
      )
    }
  }

  /// A refusal's record with the card numbers in its fields masked (a report is finance's).
  static func masked(_ record: [String: String]) -> [String: String] { record.mapValues(CardID.maskingCards) }
}

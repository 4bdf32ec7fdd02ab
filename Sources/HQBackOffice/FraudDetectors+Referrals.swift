import LedgerFormat
import LoyaltyCore

extension FraudDetectors {
  /// Referral chains with minimal first purchases — a referral farm: fake cards enrolled with an
  /// accomplice as referrer, each with a purchase just large enough to pay the bonuses. A referrer
  /// with at least `minReferees` referees whose first purchase, in the period, was at least the
  /// `referral.minFirstPurchase` of the program in force then and at most
  /// `firstPurchaseMarginPercent` above it. The referrer's and the referees' enrolled cards are
  /// the suspects. One finding per referrer (its id names the referees, so the same referees give
  /// the same id in any period that holds their first purchases).
  static func referralMinimalFirstPurchases(_ ledger: FraudLedger) -> [FraudFinding] {
    let t = ledger.thresholds
    var referees: [String: [(account: String, first: FraudLedger.FirstPurchase)]] = [:]
    for (account, enrolment) in ledger.referredBy {
      guard let referrer = enrolment.ref, let first = ledger.firstPurchases[account], ledger.inPeriod(first.earn.at),
        let minimum = first.minimum, let amount = first.earn.amount
      else { continue }
      // minFirstPurchase ≤ 10^12 and the margin ≤ 1000%: at most 1.1 × 10^13, far inside 64 bits.
      guard amount >= minimum, amount * 100 <= minimum * (100 + t.firstPurchaseMarginPercent) else { continue }
      referees[referrer, default: []].append((account, first))
    }
    var findings: [FraudFinding] = []
    for (referrer, list) in referees where Int64(list.count) >= t.minReferees {
      let sorted = list.sorted { $0.first.earn.seq < $1.first.earn.seq }
      let amounts = sorted.compactMap(\.first.earn.amount)
      let minimum = sorted.compactMap(\.first.minimum).min() ?? 0
      let card = ledger.enrolledCard[referrer]
      let summary =
        "referrer \(referrer)\(card.map { " (card \(CardID.masked($0)))" } ?? ""): \(sorted.count) referees whose "
        + "first purchase was \(range(amounts, ledger)), at most "
        + "\(t.firstPurchaseMarginPercent)% above the bonus's minimum of \(ledger.money(minimum)) "
        + "(a finding from \(t.minReferees) referees)"
      let entries = sorted.flatMap { referee in
        [ledger.referredBy[referee.account], referee.first.earn].compactMap { $0 }
      }
      let refereeCards = sorted.compactMap { ledger.enrolledCard[$0.account] }
      findings.append(
        FraudFinding(
          kind: .referralMinimalFirstPurchases,
          subject: ([referrer] + sorted.map(\.account).sorted()).joined(separator: "\n"), account: referrer, card: card,
          summary: summary, entries: entries, suspectCards: (card.map { [$0] } ?? []) + refereeCards))
    }
    return findings
  }

  /// "20.00 EUR", or "20.00 EUR to 21.50 EUR".
  static func range(_ amounts: [Int64], _ ledger: FraudLedger) -> String {
    let (low, high) = (amounts.min() ?? 0, amounts.max() ?? 0)
    return low == high ? ledger.money(low) : "\(ledger.money(low)) to \(ledger.money(high))"
  }
}

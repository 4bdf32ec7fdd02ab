import LedgerFormat
import LoyaltyCore

/// The detectors of one shop acting on another shop's customers. A customer's home shop is the
/// terminal that enrolled the account (`HomeShops`); an account no terminal enrolled has none and
/// is never "another shop's". HQ's own entries are never findings.
extension FraudDetectors {
  /// Dormant accounts redeemed at another shop: a redemption at a terminal other than the
  /// account's home shop, after no entry on the account for at least `dormantDays` (HQ's
  /// expiries aside). One finding per such redemption; the redeeming card is the suspect.
  static func dormantRedeemedElsewhere(_ ledger: FraudLedger) -> [FraudFinding] {
    let dormantDays = ledger.thresholds.dormantDays
    var findings: [FraudFinding] = []
    for e in ledger.entries where e.kind == .redeem && e.terminal != Entry.hq {
      guard let account = e.account, let home = ledger.homes[account], home != e.terminal,
        let previous = ledger.previousEntry[e.seq]
      else { continue }
      let quiet = (e.at.seconds - previous.at.seconds) / 86_400
      guard quiet >= dormantDays else { continue }
      let summary =
        "account \(account), a customer of \(home), had no entry for \(days(quiet)) (since \(previous.at)), then "
        + "redeemed \((e.points ?? 0).magnitude) points at \(e.terminal)\(e.card.map { " with card \(CardID.masked($0))" } ?? "") "
        + "(a finding after \(days(dormantDays)))"
      findings.append(
        FraudFinding(
          kind: .dormantRedeemedElsewhere, subject: e.id, account: account, card: e.card, summary: summary,
          entries: [previous, e], suspectCards: e.card.map { [$0] } ?? []))
    }
    return findings
  }

  /// Links and blocks of other shops' customers: a link or block entry written by a terminal
  /// other than the account's home shop. A linked card is the suspect (it now spends the
  /// account's points); a blocked card is the customer's own, so a block names no suspect.
  static func linkOrBlockOfOtherShopsCustomer(_ ledger: FraudLedger) -> [FraudFinding] {
    var findings: [FraudFinding] = []
    for e in ledger.entries where (e.kind == .link || e.kind == .block) && e.terminal != Entry.hq {
      guard let account = e.account, let home = ledger.homes[account], home != e.terminal, let card = e.card
      else { continue }
      let summary =
        e.kind == .link
        ? "\(e.terminal) linked card \(CardID.masked(card)) to account \(account), a customer of \(home)"
          + (e.ref.map { " (card \(CardID.masked($0)))" } ?? "")
        : "\(e.terminal) blocked card \(CardID.masked(card)) of account \(account), a customer of \(home)"
      findings.append(
        FraudFinding(
          kind: .linkOrBlockOfOtherShopsCustomer, subject: e.id, account: account, card: card, summary: summary,
          entries: [e], suspectCards: e.kind == .link ? [card] : []))
    }
    return findings
  }

  /// Refunds of other shops' receipts: a reversal written by a terminal other than the one that
  /// recorded the receipt's earn. The customer is the victim (their points reversed), so it names
  /// no suspect card: the question is for the refunding shop.
  static func refundOfOtherShopsReceipt(_ ledger: FraudLedger) -> [FraudFinding] {
    var findings: [FraudFinding] = []
    for e in ledger.entries where e.kind == .reversal && e.terminal != Entry.hq {
      guard let receipt = e.receipt, let earn = ledger.earns[receipt], earn.terminal != e.terminal else { continue }
      let summary =
        "\(e.terminal) refunded \(ledger.money(e.amount ?? 0)) of receipt \(receipt), earned at \(earn.terminal), "
        + "reversing \((e.points ?? 0).magnitude) points of account \(e.account ?? earn.account ?? "?")"
        + (earn.card.map { " (card \(CardID.masked($0)))" } ?? "")
      findings.append(
        FraudFinding(
          kind: .refundOfOtherShopsReceipt, subject: e.id, account: e.account ?? earn.account, card: earn.card,
          summary: summary, entries: [earn, e], suspectCards: []))
    }
    return findings
  }

  /// Spending without card proof: redemptions without a card's signature (`CardProof`) — from
  /// accounts whose cards cannot sign, as the audit refuses them on the others — at a terminal
  /// other than the account's home shop. One finding per terminal and UTC day with those
  /// redemptions; the customers are the victims if any, so it names no suspect card.
  static func spendingWithoutCardProof(_ ledger: FraudLedger) -> [FraudFinding] {
    struct ShopDay: Hashable {
      var terminal: String
      var day: String
    }
    var unsigned: [ShopDay: [LedgerEntry]] = [:]
    for e in ledger.entries where e.kind == .redeem && e.terminal != Entry.hq && e.proof == nil {
      guard let account = e.account, let home = ledger.homes[account], home != e.terminal else { continue }
      unsigned[ShopDay(terminal: e.terminal, day: e.at.date), default: []].append(e)
    }
    return unsigned.map { shop, entries in
      // Redemptions the audit accepted: each bounded by the catalogue, their sum far from overflowing.
      let points = -entries.reduce(Int64(0)) { $0 &+ min(0, $1.points ?? 0) }
      let accounts = Set(entries.compactMap(\.account))
      let summary =
        "\(shop.terminal) redeemed \(points) points on \(shop.day) without a card's signature from \(accounts.count) "
        + "other shops' customer\(accounts.count == 1 ? "" : "s") (\(entries.count) redemption\(entries.count == 1 ? "" : "s"))"
      return FraudFinding(
        kind: .spendingWithoutCardProof, subject: "\(shop.terminal)\n\(shop.day)",
        account: accounts.count == 1 ? accounts.first : nil, card: nil, summary: summary, entries: entries,
        suspectCards: [])
    }
  }
}

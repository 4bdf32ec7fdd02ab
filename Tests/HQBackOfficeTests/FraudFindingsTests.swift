import Foundation
import HQBackOffice
import LedgerFormat
import LoyaltyCore
import TestSupport
import Testing

/// Issue 24, part 5: HQ's fraud detectors over a ledger the counters wrote, each pattern found
/// with the entries behind it, honest traffic finding nothing.
@Suite("HQ fraud findings: the detectors")
struct FraudFindingsTests {
  /// The findings of `kind`.
  func of(_ kind: FraudFinding.Kind, _ r: FraudFindings) -> [FraudFinding] { r.findings.filter { $0.kind == kind } }

  /// The ids of the entries behind a finding (card numbers masked in them).
  func ids(_ finding: FraudFinding?) -> [String] { finding?.entries.map(\.id) ?? [] }

  @Test func honestTrafficAtHomeShopsYieldsNoFinding() async throws {
    let chain = try await FraudChain(fraud: false)
    let r = try FraudFindings.read(path: chain.f.ledger.path, from: nil, until: nil)
    #expect(r.findings.isEmpty, "\(r.findings.map(\.summary))")
    #expect(r.thresholds.maxCardEarnsPerDay == 4 && r.thresholds.dormantDays == 30, "the program's thresholds")
    #expect(r.thresholds.maxCardSharePercent == 30 && r.thresholds.minShopEarnsForShare == 20, "the defaults")
  }

  @Test func eachDetectorFindsItsPatternWithTheEntriesBehindIt() async throws {
    let chain = try await FraudChain(fraud: true)
    let cards = chain.cards
    let r = try FraudFindings.read(path: chain.f.ledger.path, from: nil, until: nil)
    #expect(r.findings.count == 7, "\(r.findings.map(\.summary))")

    let baskets = of(.cardOnManyBaskets, r)
    #expect(baskets.count == 1 && baskets.first?.card == "****" + cards[6].suffix(4))
    #expect(ids(baskets.first) == (1...5).map { "earn-T01/X\($0)" })
    #expect(baskets.first?.terminals == ["T01"] && baskets.first?.suspectCards == [cards[6]])
    #expect(baskets.first?.summary.contains("earned 5 times at T01 on 2026-11-03") == true, "\(baskets)")

    let dormant = of(.dormantRedeemedElsewhere, r)
    #expect(dormant.count == 1 && dormant.first?.account == Identities.accountID(enrolledWith: cards[3]))
    #expect(dormant.first?.entries.map(\.kind) == [.earn, .redeem] && ids(dormant.first).first == "earn-T02/R3")
    #expect(dormant.first?.terminals == ["T01", "T02"] && dormant.first?.suspectCards == [cards[3]])
    #expect(dormant.first?.summary.contains("no entry for 37 days") == true, "\(dormant)")

    let referral = of(.referralMinimalFirstPurchases, r)
    #expect(referral.count == 1 && referral.first?.account == Identities.accountID(enrolledWith: cards[5]))
    #expect(referral.first?.entries.map(\.kind) == [.enroll, .earn, .enroll, .earn])
    #expect(ids(referral.first).filter { $0.hasPrefix("earn-") } == ["earn-T03/Q7", "earn-T03/Q8"])
    #expect(Set(referral.first?.suspectCards ?? []) == [cards[5], cards[7], cards[8]])
    #expect(
      referral.first?.summary.contains("2 referees whose first purchase was 20.00 EUR, at most 10% above") == true)

    let links = of(.linkOrBlockOfOtherShopsCustomer, r)
    #expect(links.map { $0.entries.map(\.kind) } == [[.link], [.block]])
    #expect(links.first?.account == Identities.accountID(enrolledWith: cards[4]) && links.first?.terminals == ["T01"])
    #expect(ids(links.first) == ["link-****" + cards[10].suffix(4)], "a card number in an id is masked")
    #expect(
      links.first?.suspectCards == [cards[10]] && links.last?.suspectCards == [], "the blocked card is the victim's")
    #expect(
      links.last?.summary
        == "T02 blocked card ****\(cards[2].suffix(4)) of account \(Identities.accountID(enrolledWith: cards[2])), a customer of T01"
    )

    let refunds = of(.refundOfOtherShopsReceipt, r)
    #expect(
      refunds.count == 1 && ids(refunds.first).first == "earn-T01/R1" && refunds.first?.terminals == ["T01", "T03"])
    #expect(refunds.first?.summary.contains("T03 refunded 200.00 EUR of receipt T01/R1, earned at T01") == true)

    // The dormant account's redemption at T01 was not signed by a card (its card cannot sign).
    let unsigned = of(.spendingWithoutCardProof, r)
    #expect(unsigned.count == 1 && ids(unsigned.first) == ids(dormant.first).filter { $0.hasPrefix("redeem-") })
    #expect(unsigned.first?.terminals == ["T01"] && unsigned.first?.suspectCards == [])
    #expect(
      unsigned.first?.summary.contains("T01 redeemed 150 points on") == true
        && unsigned.first?.summary.contains("without a card's signature from 1 other shops' customer") == true,
      "\(unsigned)")

    // Never a full card number in what a finding shows.
    for finding in r.findings {
      let shown = ([finding.summary, finding.card ?? ""] + finding.entries.map(\.id)).joined(separator: " ")
      for card in cards { #expect(!shown.contains(card), "\(finding.kind): \(shown)") }
    }
  }

  /// A card holding more than `maxCardSharePercent` of a terminal's earns in a day counts only on a
  /// day the terminal recorded at least `minShopEarnsForShare`, and only above the share.
  @Test func aCardsShareOfAShopsEarnsIsAFindingAboveItsThreshold() async throws {
    let thresholds = #"{"maxCardEarnsPerDay": 100, "maxCardSharePercent": 50, "minShopEarnsForShare": 5}"#
    let chain = try await FraudChain(fraud: false, thresholds: thresholds)
    let (f, cards) = (chain.f, chain.cards)
    let day = Int64(86_400)
    // T01: card 0 on 4 of the day's 5 baskets (80%); T02: cards 3 and 4 on one each (50%, 2 earns).
    for (n, (t, card)) in [("T01", 0), ("T01", 1), ("T01", 0), ("T01", 0), ("T01", 0), ("T02", 3), ("T02", 4)]
      .enumerated()
    {
      _ = try f.cache(t).earn(
        card: cards[card], lines: [PurchaseLine(category: "fuel", amount: 1_000)], receipt: "S\(n)",
        context: f.context(t, day + Int64(n * 1_200)))
    }
    try await chain.syncAll(at: FraudChain.fraudDay.adding(days: 1))
    let r = try FraudFindings.read(path: f.ledger.path, from: nil, until: nil)
    #expect(r.findings.count == 1 && r.findings.first?.kind == .cardOnManyBaskets, "\(r.findings.map(\.summary))")
    #expect(ids(r.findings.first) == ["earn-T01/S0", "earn-T01/S2", "earn-T01/S3", "earn-T01/S4"])
    #expect(r.findings.first?.summary.contains("4 of the shop's 5 earns that day (80%;") == true)
  }

  @Test func idsAreTheSameOnEveryRunAndInAnyPeriodHoldingTheFinding() async throws {
    let chain = try await FraudChain(fraud: true)
    let path = chain.f.ledger.path
    let whole = try FraudFindings.read(path: path, from: nil, until: nil)
    #expect(try FraudFindings.read(path: path, from: nil, until: nil).findings.map(\.id) == whole.findings.map(\.id))
    #expect(Set(whole.findings.map(\.id)).count == 7 && whole.findings.allSatisfy { $0.id.count == 14 })
    // The third day only: every finding but the dormant redemption (and its spending without a
    // card's signature), with the same ids.
    let late: Set<FraudFinding.Kind> = [.dormantRedeemedElsewhere, .spendingWithoutCardProof]
    let day = try FraudFindings.read(
      path: path, from: FraudChain.fraudDay, until: FraudChain.fraudDay.adding(days: 1))
    #expect(day.findings.map(\.id) == whole.findings.filter { !late.contains($0.kind) }.map(\.id))
    // A period after the patterns: the dormant redemption alone, found from the facts before it.
    let later = try FraudFindings.read(path: path, from: FraudChain.dormantRedeemAt, until: nil)
    #expect(later.findings.map(\.kind) == [.dormantRedeemedElsewhere, .spendingWithoutCardProof])
  }

  @Test func theProgramsFraudThresholdsAreBoundedWithDefaults() throws {
    func parse(_ fraud: String?) throws -> LoyaltyProgram {
      let json = ChainFixture.program.replacingOccurrences(
        of: "\"expiryDays\": 365,", with: "\"expiryDays\": 365," + (fraud.map { " \"fraud\": \($0)," } ?? ""))
      return try ProgramParser.parse(Data(json.utf8))
    }
    #expect(try parse(nil).fraud == LoyaltyProgram.FraudThresholds())
    #expect(try parse("{}").fraud.minReferees == 3)
    #expect(try parse(#"{"minReferees": 5}"#).fraud.minReferees == 5)
    let refused = #"{"maxCardSharePercent": 101, "dormantDays": 0, "minReferees": "3", "operator": 1}"#
    #expect {
      try parse(refused)
    } throws: { error in
      let problems = (error as? ValidationProblems)?.problems ?? []
      return problems.count == 4 && problems.contains("fraud.maxCardSharePercent: must not exceed 100, is 101")
        && problems.contains("fraud.operator: unknown field")
    }
  }
}

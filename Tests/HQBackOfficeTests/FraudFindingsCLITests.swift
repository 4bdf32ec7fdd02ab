import Foundation
import HQBackOffice
import LedgerFormat
import LoyaltyCore
import TestSupport
import Testing

/// `loyalty-hq ledger findings` as a child process on a real ledger: the text and the JSON, and
/// `--block` turning a finding into HQ's block that a counter sees at its next sync, once.
@Suite("HQ fraud findings: the command line and --block")
struct FraudFindingsCLITests {
  func cli(_ arguments: [String]) throws -> (status: Int32, output: String, errors: String) {
    try runToCompletion(BuiltProducts.loyaltyHQ, arguments)
  }

  func json(_ text: String) -> [String: Any] {
    (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
  }

  func lineCount(_ path: String) throws -> Int {
    try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").count
  }

  @Test func textAndJSONListEveryFindingWithItsEntriesAndNoCardNumber() async throws {
    let chain = try await FraudChain(fraud: true)
    let ledger = chain.f.ledger.path
    let text = try cli(["ledger", "findings", "--ledger", ledger])
    #expect(text.status == 0, "\(text.errors)")
    let lines = text.output.split(separator: "\n").map(String.init)
    #expect(lines.first == "findings in \(ledger): 7", "\(text.output)")
    #expect(lines.filter { $0.hasPrefix("F-") }.count == 7)
    #expect(lines.contains { $0.hasPrefix("F-") && $0.contains("  cardOnManyBaskets  T01  card ****") })
    #expect(lines.contains { $0.hasPrefix("    seq ") && $0.hasSuffix("  earn  T01  earn-T01/X5") }, "\(text.output)")
    #expect(lines.last?.hasPrefix("thresholds (the program's fraud object): maxCardEarnsPerDay 4, ") == true)
    let object = try cli(["ledger", "findings", "--ledger", ledger, "--json"])
    #expect(object.status == 0, "\(object.errors)")
    let findings = json(object.output)["findings"] as? [[String: Any]] ?? []
    #expect(findings.count == 7)
    for finding in findings {
      #expect(Set(finding.keys) == ["id", "kind", "account", "card", "terminals", "summary", "entries"])
      #expect((finding["id"] as? String)?.hasPrefix("F-") == true && finding["summary"] is String)
      // A card when the finding is about one (spending without proof is about a shop's day).
      let card = finding["card"]
      #expect(((card as? String)?.hasPrefix("****") ?? (card is NSNull)) && finding["terminals"] is [String])
      let entries = finding["entries"] as? [[String: Any]] ?? []
      #expect(!entries.isEmpty && entries.allSatisfy { Set($0.keys) == ["seq", "id", "kind", "terminal", "at"] })
    }
    #expect((json(object.output)["thresholds"] as? [String: Any])?["dormantDays"] as? Int == 30)
    for card in chain.cards { #expect(!text.output.contains(card) && !object.output.contains(card), "\(card)") }
  }

  @Test func blockAppendsHQsBlockACounterSeesAfterItsSyncOnce() async throws {
    let chain = try await FraudChain(fraud: true)
    let f = chain.f
    let ledger = f.ledger.path
    let found = try FraudFindings.read(path: ledger, from: nil, until: nil)
    let finding = try #require(found.findings.first { $0.kind == .cardOnManyBaskets })
    let card = chain.cards[6]
    let at = FraudChain.dormantRedeemAt.adding(days: 2)
    let block = [
      "ledger", "findings", "--ledger", ledger, "--block", finding.id, "--reason", "own card on customers' sales",
      "--hq-key", chain.hqKeyPath, "--at", at.description,
    ]
    let before = try lineCount(ledger)
    let dry = try cli(block + ["--dry-run", "--json"])
    #expect(dry.status == 0 && json(dry.output)["dryRun"] as? Bool == true, "\(dry.errors)")
    #expect(try lineCount(ledger) == before, "a dry run appends nothing")

    let first = try cli(block)
    #expect(first.status == 0, "\(first.errors)")
    #expect(first.output.hasPrefix("finding \(finding.id): blocked 1 card"), "\(first.output)")
    #expect(!first.output.contains(card))
    let (fold, _) = try LedgerFold.fold(path: ledger)
    #expect(fold.accounts[Identities.accountID(enrolledWith: card)]?.blockedCards == [card])
    let appended = try lineCount(ledger)
    #expect(appended == before + 2, "one block and its seal")

    // T02 learns the block at its next sync and refuses the card.
    try await f.sync("T02", at: at.adding(seconds: 60))
    let t2 = try f.cache("T02")
    #expect(try t2.identify(card: card, at: at.adding(seconds: 120)).blocked)
    #expect(throws: RuleError.self) {
      _ = try t2.earn(
        card: card, lines: [PurchaseLine(category: "fresh", amount: 1_000)], receipt: "B1",
        context: OperationContext(terminal: "T02", operator: "test", at: at.adding(seconds: 180)))
    }

    let second = try cli(block + ["--json"])
    #expect(second.status == 0, "\(second.errors)")
    #expect((json(second.output)["blocked"] as? [Any])?.isEmpty == true, "\(second.output)")
    #expect(json(second.output)["alreadyBlocked"] as? [String] == ["****" + card.suffix(4)])
    #expect(try lineCount(ledger) == appended, "a second --block appends nothing")
  }

  @Test func blockRefusesAnUnknownFindingAndOneWithoutSuspectCard() async throws {
    let chain = try await FraudChain(fraud: true)
    let ledger = chain.f.ledger.path
    let before = try lineCount(ledger)
    let key = ["--reason", "test", "--hq-key", chain.hqKeyPath, "--at", FraudChain.dormantRedeemAt.description]
    let unknown = try cli(["ledger", "findings", "--ledger", ledger, "--block", "F-000000000000"] + key)
    #expect(unknown.status == 1 && unknown.output.isEmpty)
    #expect(unknown.errors.split(separator: "\n").count == 1, "one clear line: \(unknown.errors)")
    #expect(unknown.errors.contains("no finding F-000000000000 in \(ledger): nothing blocked"))
    let refund = try #require(
      try FraudFindings.read(path: ledger, from: nil, until: nil).findings.first {
        $0.kind == .refundOfOtherShopsReceipt
      })
    let victim = try cli(["ledger", "findings", "--ledger", ledger, "--block", refund.id] + key)
    #expect(victim.status == 1 && victim.errors.contains("names no suspect card"), "\(victim.errors)")
    let stray = try cli(["ledger", "findings", "--ledger", ledger, "--reason", "x"])
    #expect(stray.status != 0 && stray.errors.contains("--reason goes with --block FINDING_ID only"))
    #expect(try lineCount(ledger) == before)
  }
}

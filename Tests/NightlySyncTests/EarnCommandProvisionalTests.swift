import Foundation
import LoyaltyCore
import PointsCache
import TestSupport
import Testing

/// `loyalty-terminal earn` on a card the cache does not know earns provisionally, as the counter
/// does, and says so: in a chain the points join the cardholder's balance at the next sync; on a
/// stand-alone counter they stay on the card until it is enrolled. `--refuse-unknown` refuses.
@Suite("earn on an unknown card")
struct EarnCommandProvisionalTests {
  let card = ChainFixture.cards[3]
  var account: String { Identities.accountID(enrolledWith: card) }

  func object(_ text: String) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "\(text)")
  }

  @Test func inAChainTheCardEarnsProvisionallyAndTheSyncBringsThePointsHome() async throws {
    let f = try ChainFixture(terminals: 2)
    for t in f.terminals { try await f.sync(t, at: ChainFixture.start.adding(seconds: 60)) }
    _ = try f.cache("T01").enroll(card: card, referrer: nil, context: f.context("T01", 0))
    let t2 = ["--cache", f.cachePath("T02"), "--terminal", "T02"]
    let at = { (seconds: Int64) in f.context("T02", seconds).at.description }

    let refused = try runToCompletion(
      BuiltProducts.loyaltyTerminal,
      ["earn", card, "--line", "fresh:2500", "--refuse-unknown", "--json", "--at", at(100)] + t2)
    #expect(refused.status == 1)
    #expect(try object(refused.output)["reason"] as? String == "unknownCard")

    let text = try runToCompletion(
      BuiltProducts.loyaltyTerminal, ["earn", card, "--line", "fresh:2500", "--at", at(200)] + t2)
    #expect(text.status == 0, "\(text.errors)")
    #expect(
      text.output.hasSuffix(
        "provisional: card \(card) is not known here: the points are on the card's own account and join the "
          + "cardholder's balance at the next sync.\n"), "\(text.output)")
    #expect(!text.output.contains("Balance"), "no balance shown: the card's own account is not the cardholder's")

    let json = try object(
      try runToCompletion(
        BuiltProducts.loyaltyTerminal, ["earn", card, "--line", "fuel:1000", "--json", "--at", at(300)] + t2
      ).output)
    #expect(json["provisional"] as? Bool == true && json["account"] as? String == account)
    #expect((json["note"] as? String)?.hasSuffix("join the cardholder's balance at the next sync") == true)
    #expect(json["balance"] == nil)
    let points = try #require(json["points"] as? Int)

    // At the sync the points are the cardholder's: T02 learns the enrolment, T01 the earns.
    try await f.sync("T01", at: ChainFixture.start.adding(days: 1).adding(seconds: 400))
    try await f.sync("T02", at: ChainFixture.start.adding(days: 1).adding(seconds: 500))
    try await f.sync("T01", at: ChainFixture.start.adding(days: 1).adding(seconds: 600))
    let balances = try f.cache("T02").identify(card: card, at: f.context("T02", 700).at).balance
    #expect(balances == (try f.cache("T01").identify(card: card, at: f.context("T01", 700).at).balance))
    #expect(balances == 100 + Int64(points), "both provisional earns (fresh 25.00 at x2, fuel) are in the balance")
  }

  @Test func aStandAloneCounterKeepsThePointsOnTheCardUntilItIsEnrolled() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("standalone-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let program = dir.appendingPathComponent("program.json").path
    try ChainFixture.program.write(toFile: program, atomically: true, encoding: .utf8)
    let common = ["--cache", dir.appendingPathComponent("t.db").path, "--terminal", "T01"]
    let t = BuiltProducts.loyaltyTerminal
    #expect(try runToCompletion(t, ["program", "load", program] + common).status == 0)
    let earn = try runToCompletion(t, ["earn", card, "--line", "fresh:1250", "--at", "2026-11-02T09:00:00Z"] + common)
    #expect(earn.status == 0, "\(earn.errors)")
    #expect(
      earn.output
        == "+50 points (receipt T01/A1), provisional: card \(card) is not enrolled here: the points stay on the "
        + "card until it is enrolled.\n")
    #expect(try runToCompletion(t, ["enroll", card, "--at", "2026-11-02T09:05:00Z"] + common).status == 0)
    let identify = try runToCompletion(t, ["identify", card, "--json"] + common.prefix(2))
    #expect(try object(identify.output)["balance"] as? Int == 50, "\(identify.output)")
  }
}

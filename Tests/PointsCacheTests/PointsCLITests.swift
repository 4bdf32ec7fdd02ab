import Foundation
import TestSupport
import Testing

@Suite("The points commands as a cashier's script runs them")
struct PointsCLITests {
  /// Runs `loyalty-terminal ARGS` and returns its exit status and stdout lines.
  func run(_ arguments: [String]) async throws -> (status: Int32, lines: [String]) {
    let child = try ChildProcess(BuiltProducts.loyaltyTerminal, arguments)
    child.killAfter(seconds: 30)
    var lines: [String] = []
    for await line in child.lines { lines.append(line) }
    let status = child.stop(with: 0) ?? -1
    return (status, lines)
  }

  func object(_ line: String?) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data((line ?? "").utf8)) as? [String: Any], "\(line ?? "nil")")
  }

  /// A new cache in a temporary directory with sim/program.json loaded at T01: its directory, its
  /// path, and the options every command of T01's cashier takes.
  func cacheWithProgram() async throws -> (dir: URL, cache: String, common: [String]) {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let cache = dir.appendingPathComponent("t1.db").path
    let program = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
      "../../sim/program.json"
    ).path
    let common = ["--cache", cache, "--terminal", "T01", "--operator", "alice"]
    #expect(try await run(["program", "load", program] + common).status == 0)
    return (dir, cache, common)
  }

  @Test func earnPrintsTheReceiptAndRefusalsExitNonZeroWritingNothing() async throws {
    let (dir, cache, common) = try await cacheWithProgram()
    #expect(try await run(["enroll", "04A1B2C3D4E5F6", "--at", "2026-11-02T09:15:00Z"] + common).status == 0)
    let earn = try await run(
      ["earn", "04A1B2C3D4E5F6", "--line", "fresh:1250", "--receipt", "R1", "--at", "2026-11-02T09:16:00Z", "--json"]
        + common)
    #expect(earn.status == 0)
    let receipt = try object(earn.lines.first)
    #expect(
      receipt["points"] as? Int == 50 && receipt["balance"] as? Int == 50 && receipt["tier"] as? String == "Bronze")

    let human = try await run(
      ["earn", "04A1B2C3D4E5F6", "--line", "fuel:1999", "--at", "2026-11-02T12:00:00Z"] + common)
    // No receipt from the till: A and the count of this till's automatic receipts plus one.
    #expect(
      human.lines == ["+9 points (receipt T01/A1). Balance 59 points. Bronze: 467.51 EUR or 10 visits to Silver."])

    let over = try await run(["refund", "R1", "1251", "--at", "2026-11-02T13:00:00Z", "--json"] + common)
    #expect(over.status == 1)
    #expect(try object(over.lines.first)["reason"] as? String == "refundExceedsReceipt")

    let unknown = try await run(["redeem", "6280001234567895", "coffee", "--json"] + common)
    #expect(unknown.status == 1)
    #expect(try object(unknown.lines.first)["reason"] as? String == "unknownCard")

    let history = try await run(["history", "04A1B2C3D4E5F6", "--json", "--cache", cache])
    let entries = try #require(try object(history.lines.first)["entries"] as? [[String: Any]])
    #expect(entries.map { $0["kind"] as? String } == ["enroll", "earn", "earn"], "refusals wrote nothing")
    // The account's state as the counter holds it: two purchases, their receipts, their day and lots.
    let account = try #require(try object(history.lines.first)["account"] as? [String: Any])
    #expect(account["purchases"] as? Int == 2 && account["receipts"] as? Int == 2, "\(account)")
    #expect(account["tierDays"] as? Int == 1 && (account["lots"] as? Int ?? 0) >= 1, "\(account)")

    let badProgram = dir.appendingPathComponent("bad.json")
    try Data(#"{"version": 1, "currency": "euro", "colour": "blue"}"#.utf8).write(to: badProgram)
    let refused = try await run(["program", "load", badProgram.path, "--json"] + common)
    #expect(refused.status == 1)
    let message = try object(refused.lines.first)["error"] as? String ?? ""
    #expect(
      message.contains("colour: unknown field") && message.contains("currency: \"euro\"")
        && message.contains("tiers: missing"))
  }

  /// A counter's people see the card in hand, and the account's other cards masked (issue 24:
  /// card numbers kept from the counters).
  @Test func historyAndIdentifyMaskTheAccountsOtherCards() async throws {
    let (_, cache, common) = try await cacheWithProgram()
    #expect(try await run(["enroll", "6280001234567895", "--at", "2026-11-02T09:15:00Z"] + common).status == 0)
    let link = try await run(
      ["link", "04A1B2C3D4E5F6", "--to", "6280001234567895", "--at", "2026-11-02T09:16:00Z"] + common)
    #expect(link.status == 0, "\(link.lines)")
    let history = try await run(["history", "04A1B2C3D4E5F6", "--cache", cache])
    let text = history.lines.joined(separator: "\n")
    #expect(history.status == 0 && text.contains("****7895") && !text.contains("6280001234567895"), "\(text)")
    let identify = try await run(["identify", "04A1B2C3D4E5F6", "--json", "--cache", cache])
    let cards = try object(identify.lines.first)["cards"] as? [String]
    #expect(cards?.sorted() == ["****7895", "04A1B2C3D4E5F6"], "\(String(describing: cards))")
  }
}

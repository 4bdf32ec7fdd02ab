import Foundation
import TestSupport
import Testing

/// With `--json`, every failure is one object on stdout with both `error` (the message) and
/// `reason` (a stable code), whichever path it failed on: a refusal a command reports itself, a
/// file that cannot be read, a bad profiles file, an unknown reader, a cache without a program.
@Suite("JSON errors have error and reason")
struct JSONErrorTests {
  let dir: URL
  let program = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
    "../../sim/program.json"
  ).standardizedFileURL.path

  init() throws {
    dir = FileManager.default.temporaryDirectory.appendingPathComponent("json-errors-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
  }

  func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

  @Test func failuresOnEveryPathPrintBothKeys() throws {
    let t = BuiltProducts.loyaltyTerminal
    #expect(
      try runToCompletion(t, ["program", "load", program, "--cache", path("t.db"), "--terminal", "T01"]).status == 0)
    let cases: [(arguments: [String], reason: String)] = [
      (["identify", "6280001234567895", "--cache", path("t.db")], "unknownCard"),
      (
        [
          "earn", "6280001234567895", "--line", "fresh:100", "--refuse-unknown", "--cache", path("t.db"), "--terminal",
          "T01",
        ],
        "unknownCard"
      ),
      (["identify", "6280001234567895", "--cache", path("missing/t.db")], "cacheUnavailable"),
      (["run", "--cache", path("empty.db"), "--terminal", "T01", "--simulated", "--script"], "invalidArgument"),
      (["readers", "--simulated", "--card-profiles", path("missing.json")], "invalidCardProfiles"),
      (["readers", "--simulated", "--reader-profiles", path("missing.json")], "invalidReaderProfiles"),
      (["watch", "--simulated", "--reader", "Nope"], "unknownReader"),
      (["sim", "run", path("missing.json")], "unreadableFile"),
      (["ledger", "verify", "--ledger", path("missing.jsonl")], "invalidLedger"),
      (["ledger", "balances", "--ledger", path("missing.jsonl")], "ledger"),
      // A wrong command line too (here the card is missing).
      (["identify", "--cache", path("t.db")], "usage"),
    ]
    for (arguments, reason) in cases {
      let run = try runToCompletion(arguments.first == "ledger" ? BuiltProducts.loyaltyHQ : t, arguments + ["--json"])
      #expect(run.status != 0, "\(arguments)")
      #expect(run.errors.isEmpty, "\(arguments): \(run.errors)")
      let lines = run.output.split(separator: "\n")
      #expect(lines.count == 1, "\(arguments): \(run.output)")
      let object = try #require(
        try JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [String: Any], "\(arguments): \(run.output)")
      #expect((object["error"] as? String)?.isEmpty == false, "\(arguments): \(object)")
      #expect(object["reason"] as? String == reason, "\(arguments): \(object)")
    }
  }

  /// The same failures without --json: one line on stderr, nothing on stdout.
  @Test func withoutJSONTheyAreOneLineOnStderr() throws {
    let run = try runToCompletion(
      BuiltProducts.loyaltyTerminal, ["readers", "--simulated", "--reader-profiles", path("missing.json")])
    #expect(run.status == 1 && run.output.isEmpty)
    #expect(run.errors.split(separator: "\n").count == 1 && run.errors.hasPrefix("loyalty-terminal readers: "))
  }
}

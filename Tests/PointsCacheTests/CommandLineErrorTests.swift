import Foundation
import GRDB
import PointsCache
import TestSupport
import Testing

/// Bad input at the command line, as a newcomer types it: one clear line, the right exit status,
/// a usage banner only for a wrong command line, and never a crash or a type dump.
@Suite("Errors read as errors")
struct CommandLineErrorTests {
  let dir: URL
  let program = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
    "../../sim/program.json"
  ).standardizedFileURL.path

  init() throws {
    dir = FileManager.default.temporaryDirectory.appendingPathComponent("errors-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: dir.path)
  }

  func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

  /// `loyalty-terminal ARGS` (or `binary ARGS`) run from `cwd` (the test's temporary directory by default).
  func cli(
    _ arguments: [String], cwd: String? = nil, env: [String] = [], binary: String = BuiltProducts.loyaltyTerminal
  ) throws -> (status: Int32, output: String, errors: String) {
    let quoted = ([binary] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }
    return try runToCompletion(
      "/usr/bin/env", env + ["sh", "-c", "cd '\(cwd ?? dir.path)' && exec \(quoted.joined(separator: " "))"])
  }

  /// `loyalty-hq ARGS`: HQ's commands.
  func hq(_ arguments: [String]) throws -> (status: Int32, output: String, errors: String) {
    try cli(arguments, binary: BuiltProducts.loyaltyHQ)
  }

  /// A runtime failure: exit 1 or 2, exactly one line on stderr holding `text`, no usage banner.
  func expectOneLine(_ run: (status: Int32, output: String, errors: String), _ text: String, _ note: Comment) {
    #expect(run.status == 1 || run.status == 2, note)
    #expect(run.errors.split(separator: "\n").count == 1, "\(note): \(run.errors)")
    #expect(run.errors.contains(text), "\(note): \(run.errors)")
    #expect(
      !run.errors.contains("Usage:") && !run.errors.contains("Error Domain") && !run.errors.contains("Error("), note)
  }

  /// A cache with the sample program and one enrolled card, and an HQ ledger with its key.
  func setUp() throws {
    #expect(try cli(["program", "load", program, "--cache", path("t.db"), "--terminal", "T01"]).status == 0)
    #expect(try cli(["enroll", "04A1B2C3D4E5F6", "--cache", path("t.db"), "--terminal", "T01"]).status == 0)
    #expect(try hq(["ledger", "keygen", "--out", path("hq.key")]).status == 0)
    #expect(try hq(["ledger", "init", "--ledger", path("l.jsonl"), "--hq-key", path("hq.key")]).status == 0)
  }

  @Test func malformedTimesAreAWrongCommandLineNamingTheOption() throws {
    try setUp()
    #expect(try cli(["keygen", "--out", path("t01.key")]).status == 0)
    for args in [
      ["identify", "04A1B2C3D4E5F6", "--cache", path("t.db"), "--at", "BAD"],
      [
        "sync", "--cache", path("t.db"), "--ledger", path("l.jsonl"), "--terminal", "T01", "--key", path("t01.key"),
        "--at", "BAD",
      ],
      ["ledger", "report", "--ledger", path("l.jsonl"), "--as-of", "2026-13-01T00:00:00Z"],
    ] {
      let run = try args.first == "ledger" ? hq(args) : cli(args)
      #expect(run.status == 64, "\(args)")
      #expect(run.errors.contains("is invalid for '--"), "\(run.errors)")
      #expect(!run.errors.contains("CommandError"), "\(run.errors)")
    }
  }

  @Test func outOfRangeNumbersAreRefusedNotTrapped() throws {
    try setUp()
    let report = try hq(["ledger", "report", "--ledger", path("l.jsonl"), "--inactive-days", "200000000000000"])
    #expect(report.status == 64)
    #expect(report.errors.contains("--inactive-days must be 1-36500"))
    let adjust = try hq(
      [
        "ledger", "adjust", "acct-x", "99999999999999999", "--reason", "r", "--ledger", path("l.jsonl"), "--hq-key",
        path("hq.key"),
      ])
    #expect(adjust.status == 64, "\(adjust.errors)")
  }

  @Test func aDebitIsANegativeNumberWithoutDashDash() throws {
    try setUp()
    let run = try hq(
      [
        "ledger", "adjust", "acct-x", "-5", "--reason", "goodwill", "--ledger", path("l.jsonl"), "--hq-key",
        path("hq.key"),
      ])
    // Parsed as a debit (not an unknown option, exit 64), then refused: the ledger has no acct-x.
    #expect(run.status == 1, "\(run.errors)")
    #expect(run.errors.hasPrefix("account acct-x is not in the ledger"), "\(run.errors)")
  }

  @Test func runtimeFailuresAreOneLineWithoutUsage() throws {
    try setUp()
    try FileManager.default.createDirectory(atPath: path("adir"), withIntermediateDirectories: true)
    expectOneLine(
      try cli(["watch", "--simulated", "--card-profiles", path("missing.json")]), "missing.json: No such file",
      "missing profiles")
    expectOneLine(
      try cli(["watch", "--simulated"], env: ["LOYALTY_CARD_PROFILES=\(path("nope.json"))"]), "nope.json",
      "a mistyped LOYALTY_CARD_PROFILES is an error, not a fall-back")
    expectOneLine(
      try cli(["program", "load", path("adir"), "--cache", path("t.db"), "--terminal", "T01"]),
      "adir: it is a directory", "directory as program")
    // A program with a key given twice: the file, the key and where, in one line, at a counter and at HQ.
    let twice = try String(contentsOfFile: program, encoding: .utf8).replacingOccurrences(
      of: "{", with: "{\"version\": 9, ", options: .anchored)
    try twice.write(toFile: path("twice.json"), atomically: true, encoding: .utf8)
    expectOneLine(
      try cli(["program", "load", path("twice.json"), "--cache", path("t.db"), "--terminal", "T01"]),
      "program \(path("twice.json")) refused: key \"version\" is given twice in one object: keep one (line ",
      "a key given twice")
    expectOneLine(
      try hq(["ledger", "publish-program", path("twice.json"), "--ledger", path("l.jsonl"), "--hq-key", path("hq.key")]
      ),
      "program \(path("twice.json")) refused: key \"version\"", "a key given twice, at HQ")
    expectOneLine(
      try cli(["identify", "04A1B2C3D4E5F6", "--cache", path("adir")]), "it is a directory", "directory as cache")
    expectOneLine(try hq(["ledger", "verify", "--ledger", path("adir")]), "Is a directory", "directory as ledger")
    expectOneLine(
      try cli(["sim", "run", path("adir")]), "scenario \(path("adir")): it is a directory", "directory as scenario")
    expectOneLine(
      try cli(["identify", "X", "--cache", program]), "it is not a points cache (not an SQLite database)", "not a cache"
    )
    expectOneLine(
      try cli(["run", "--cache", path("nope/x.db"), "--terminal", "T01", "--script", "--simulated"]),
      "its folder \(path("nope")) does not exist", "a cache in a missing folder")
    #expect(try cli(["run", "--cache", path("nope/x.db"), "--terminal", "T01", "--script", "--simulated"]).status == 2)
    #expect(try cli(["keygen", "--out", path("t01.key")]).status == 0)
    expectOneLine(
      try cli([
        "sync", "--snapshot", program, "--cache", path("fresh.db"), "--ledger", path("l.jsonl"), "--terminal", "T01",
        "--key", path("t01.key"),
      ]), "is not a snapshot: format is missing", "a program given as a snapshot")
    expectOneLine(try hq(["ledger", "keygen", "--out", path("adir")]), "it is a directory", "a key into a directory")
    expectOneLine(
      try cli(["earn", "04A1B2C3D4E5F6", "--line", "fresh:0", "--cache", path("t.db"), "--terminal", "T01"]),
      "a purchase of 0 earns nothing", "a zero purchase")
    expectOneLine(
      try cli(["enroll", "08AABBCC", "--cache", path("t.db"), "--terminal", "T01"]), "is a random UID", "a random UID")
  }

  @Test func keyFilesMustBeThisUsersOwnRegularFiles() throws {
    try setUp()
    try FileManager.default.createSymbolicLink(atPath: path("link.key"), withDestinationPath: path("hq.key"))
    try FileManager.default.createDirectory(atPath: path("dir.key"), withIntermediateDirectories: true)
    let init2 = { (key: String) in try hq(["ledger", "init", "--ledger", path("l2.jsonl"), "--hq-key", key]) }
    expectOneLine(try init2(path("link.key")), "is a symbolic link", "symlink")
    expectOneLine(try init2(path("dir.key")), "is a directory", "directory")
    if geteuid() == 0 {
      try FileManager.default.copyItem(atPath: path("hq.key"), toPath: path("other.key"))
      #expect(chown(path("other.key"), 65534, 65534) == 0)
      expectOneLine(try init2(path("other.key")), "is owned by uid 65534", "another user's key")
    }
    #expect(!FileManager.default.fileExists(atPath: path("l2.jsonl")), "nothing written with a refused key")
  }

  @Test func ledgerLinesNameACarriageReturnOrAByteOrderMark() throws {
    try setUp()
    let ledger = try Data(contentsOf: URL(fileURLWithPath: path("l.jsonl")))
    try Data(String(decoding: ledger, as: UTF8.self).replacingOccurrences(of: "\n", with: "\r\n").utf8)
      .write(to: URL(fileURLWithPath: path("crlf.jsonl")))
    try (Data([0xEF, 0xBB, 0xBF]) + ledger).write(to: URL(fileURLWithPath: path("bom.jsonl")))
    expectOneLine(try hq(["ledger", "verify", "--ledger", path("crlf.jsonl")]), "carriage return", "CRLF")
    expectOneLine(try hq(["ledger", "verify", "--ledger", path("bom.jsonl")]), "byte order mark", "BOM")
  }

  @Test func aCacheFromANewerSchemaIsRefusedNamingBothVersions() throws {
    try setUp()
    let queue = try DatabaseQueue(path: path("t.db"))
    try queue.write { try $0.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v9-from-the-future')") }
    try queue.close()
    let before = try Data(contentsOf: URL(fileURLWithPath: path("t.db")))
    for args in [
      ["identify", "04A1B2C3D4E5F6", "--cache", path("t.db")],
      ["earn", "04A1B2C3D4E5F6", "--line", "fresh:100", "--cache", path("t.db"), "--terminal", "T01"],
    ] {
      let run = try cli(args)
      expectOneLine(run, "newer loyalty-terminal (schema v9-from-the-future)", "newer schema")
      #expect(run.errors.contains("v2-sync-state"), "names this build's schema too")
    }
    #expect(try Data(contentsOf: URL(fileURLWithPath: path("t.db"))) == before, "nothing written")
  }

  /// Someone who may not write the cache or its directory can still look a card up.
  @Test(.enabled(if: geteuid() == 0 && FileManager.default.fileExists(atPath: "/usr/bin/setpriv")))
  func aReadOnlyCacheServesLookUps() throws {
    try setUp()
    #expect(chmod(path("t.db"), 0o444) == 0)
    #expect(chmod(dir.path, 0o555) == 0)
    defer { chmod(dir.path, 0o755) }
    let asNobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    func run(_ args: [String]) throws -> (status: Int32, output: String, errors: String) {
      try runToCompletion("/usr/bin/env", asNobody + [BuiltProducts.loyaltyTerminal] + args)
    }
    let identify = try run(["identify", "04A1B2C3D4E5F6", "--cache", path("t.db")])
    #expect(identify.status == 0, "\(identify.errors)")
    #expect(identify.output.contains("balance 0 points"))
    let earn = try run(["earn", "04A1B2C3D4E5F6", "--line", "fresh:100", "--cache", path("t.db"), "--terminal", "T01"])
    expectOneLine(earn, "read-only for this user", "a write on a read-only cache")
  }

  @Test func scenarioTerminalNamesCannotLeaveTheWorkdir() throws {
    var scenario =
      try JSONSerialization.jsonObject(
        with: Data(
          contentsOf: URL(fileURLWithPath: program).deletingLastPathComponent().appendingPathComponent(
            "scenarios/two-counters.json"))) as! [String: Any]
    scenario["program"] = program
    scenario["terminals"] = ["../escaped", "T02"]
    try JSONSerialization.data(withJSONObject: scenario).write(to: URL(fileURLWithPath: path("evil.json")))
    try FileManager.default.createDirectory(atPath: path("work/inner"), withIntermediateDirectories: true)
    let run = try cli(["sim", "run", path("evil.json"), "--workdir", path("work/inner")])
    #expect(run.status == 1)
    #expect(run.errors.contains("terminals[0]: terminal id \"../escaped\" must be"), "\(run.errors)")
    #expect(try FileManager.default.contentsOfDirectory(atPath: path("work")) == ["inner"])
  }

  /// An installed binary: run from a directory that is not the checkout, it still reads cards
  /// (the card profiles are built in).
  @Test func theBinaryWorksFromAnyDirectory() throws {
    let run = try cli(["watch", "--simulated", "--count", "1", "--json"], cwd: "/")
    #expect(run.status == 0, "\(run.errors)")
    #expect(run.output.contains("\"id\""), "\(run.output)")
  }

  /// The product is what a cashier, a firmware engineer and HQ use, in two binaries; the developers'
  /// tools are apart.
  @Test func theProductsHelpListsNoDevTools() throws {
    let help = try cli(["--help"])
    #expect(help.status == 0)
    #expect(help.output.contains("sync") && help.output.contains("keygen") && help.output.contains("loyalty-hq"))
    let hqHelp = try hq(["--help"])
    #expect(hqHelp.status == 0)
    #expect(hqHelp.output.contains("ledger") && hqHelp.output.contains("serve"), "\(hqHelp.output)")
    for tool in ["bench", "campaign", "earn-loop", "worker"] {
      #expect(!help.output.contains(tool), "\(tool) in loyalty-terminal --help")
      #expect(try cli([tool]).status == 64, "loyalty-terminal \(tool) is not a command")
      #expect(!hqHelp.output.contains(tool), "\(tool) in loyalty-hq --help")
    }
    let devtools = try runToCompletion(BuiltProducts.devtools, ["--help"])
    #expect(devtools.output.contains("bench") && devtools.output.contains("campaign"))
  }

  /// HQ's commands left the counter's binary: the old command lines say in one line where they went
  /// (a wrong command line, 64), and `loyalty-hq` has no `hq` level.
  @Test func hqCommandsSayWhereTheyMoved() throws {
    let serve = try cli(["hq", "serve", "--ledger", path("l.jsonl"), "--hq-key", path("hq.key")])
    #expect(serve.status == 64 && serve.output.isEmpty)
    #expect(serve.errors == "loyalty-terminal hq serve: moved to HQ's own binary: run `loyalty-hq serve …`\n")
    let status = try cli(["ledger", "status", "--ledger", path("l.jsonl")])
    #expect(status.status == 64)
    #expect(
      status.errors == "loyalty-terminal ledger status: moved to HQ's own binary: run `loyalty-hq ledger status …`\n")
    let keygen = try cli(["ledger", "keygen", "--out", path("t.key"), "--json"])
    #expect(keygen.status == 64 && keygen.errors.isEmpty && keygen.output.contains("loyalty-terminal keygen"))
    #expect(keygen.output.contains("\"reason\":\"usage\""), "\(keygen.output)")
    #expect(!FileManager.default.fileExists(atPath: path("t.key")))
    #expect(try hq(["hq", "serve"]).status == 64, "loyalty-hq serve has no hq level")
  }
}

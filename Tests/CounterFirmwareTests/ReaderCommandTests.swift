import Foundation
import TestSupport
import Testing

/// `watch --reader` and `readers --probe` / `--reader-profiles` as an operator runs them: the built
/// binary on the simulated reader (`Simulated Reader 0`, which records reader commands and answers
/// 90 00; it has no built-in profile).
@Suite("Reader commands: --reader, --probe, --reader-profiles")
struct ReaderCommandTests {
  let dir: URL

  init() throws {
    dir = FileManager.default.temporaryDirectory.appendingPathComponent("readers-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
  }

  /// `loyalty-terminal ARGS` with `env` (NAME=VALUE) added to the environment.
  func cli(_ arguments: [String], env: [String] = []) throws -> (status: Int32, output: String, errors: String) {
    try runToCompletion("/usr/bin/env", env + [BuiltProducts.loyaltyTerminal] + arguments)
  }

  func object(_ text: String) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "\(text)")
  }

  /// A profiles file whose one profile matches the simulated reader.
  func simulatedProfile(name: String = "Bench") throws -> String {
    let path = dir.appendingPathComponent("\(name).json").path
    try Data(
      """
      {"comment": "the simulated reader, for tests",
       "readers": [{"name": "\(name)", "match": "Simulated Reader", "firmware": {"escape": "E000001800"},
                    "success": [{"pseudoAPDU": "FF00402E0401010101"}],
                    "failure": [{"escape": "E00000290101"}, {"escape": "E00000280114"}]}]}
      """.utf8
    ).write(to: URL(fileURLWithPath: path))
    return path
  }

  @Test func watchingAnUnknownReaderIsAnErrorNamingTheReadersThere() throws {
    let run = try cli(["watch", "--simulated", "--reader", "ACR122U"])
    #expect(run.status == 1)
    #expect(run.output.isEmpty)
    #expect(
      run.errors
        == "loyalty-terminal watch: no reader \"ACR122U\"; the readers are \"Simulated Reader 0\" "
        + "(give one exactly as listed)\n")
    let partial = try cli(["watch", "--simulated", "--reader", "simulated reader", "--json"])
    #expect(partial.status == 1)
    let error = try object(partial.output)
    #expect(error["reason"] as? String == "unknownReader")
    #expect((error["error"] as? String)?.contains("did you mean \"Simulated Reader 0\"") == true, "\(error)")
    #expect(partial.errors.isEmpty, "with --json the error is on stdout only")
  }

  @Test func watchingAReaderThatIsThereReadsItsTaps() throws {
    let run = try cli(["watch", "--simulated", "--reader", "Simulated Reader 0", "--count", "2", "--json"])
    #expect(run.status == 0, "\(run.errors)")
    #expect(run.output.split(separator: "\n").count == 2)
  }

  @Test func probingAReaderWithoutAProfileSaysSo() throws {
    let text = try cli(["readers", "--simulated", "--probe"])
    #expect(text.status == 0, "\(text.errors)")
    #expect(text.output == "Simulated Reader 0: no reader profile: it signals on the console, nothing to probe\n")
    let json = try cli(["readers", "--simulated", "--probe", "--json"])
    let readers = try #require(try object(json.output)["readers"] as? [[String: Any]])
    #expect(readers.count == 1)
    #expect(readers[0]["name"] as? String == "Simulated Reader 0")
    #expect(readers[0]["profile"] is NSNull && readers[0]["worked"] as? Bool == false)
  }

  @Test func probingAProfiledReaderReportsEachCommand() throws {
    let profiles = try simulatedProfile()
    let text = try cli(["readers", "--simulated", "--probe", "--reader-profiles", profiles])
    #expect(text.status == 0, "\(text.errors)")
    #expect(
      text.output.split(separator: "\n") == [
        "Simulated Reader 0 (profile Bench): every command worked",
        "  firmware   ok, no version in the answer",
        "  success    ok (1 command)",
        "  failure    ok (2 commands)",
      ])
    let json = try cli(["readers", "--simulated", "--probe", "--json", "--reader-profiles", profiles])
    let reader = try #require((try object(json.output)["readers"] as? [[String: Any]])?.first)
    #expect(reader["profile"] as? String == "Bench" && reader["worked"] as? Bool == true)
    let firmware = try #require(reader["firmware"] as? [String: Any])
    #expect(firmware["ok"] as? Bool == true && firmware["answer"] as? String == "9000")
    let signals = try #require(reader["signals"] as? [String: [String: Any]])
    #expect(signals.keys.sorted() == ["failure", "success"])
    #expect(signals["failure"]?["sent"] as? Int == 2 && signals["failure"]?["ok"] as? Bool == true)
  }

  @Test func theOptionBeatsTheEnvironmentWhichMustNameAReadableFile() throws {
    let option = try simulatedProfile(name: "FromOption")
    let environment = try simulatedProfile(name: "FromEnvironment")
    let both = try cli(
      ["readers", "--simulated", "--probe", "--reader-profiles", option],
      env: ["LOYALTY_READER_PROFILES=\(environment)"])
    #expect(both.output.hasPrefix("Simulated Reader 0 (profile FromOption)"), "\(both.output)")
    let env = try cli(["readers", "--simulated", "--probe"], env: ["LOYALTY_READER_PROFILES=\(environment)"])
    #expect(env.output.hasPrefix("Simulated Reader 0 (profile FromEnvironment)"), "\(env.output)")
    let typo = try cli(["readers", "--simulated"], env: ["LOYALTY_READER_PROFILES=\(dir.path)/nope.json"])
    #expect(typo.status == 1)
    #expect(
      typo.errors
        == "loyalty-terminal readers: invalid reader profiles: cannot read reader profiles \(dir.path)/nope.json: "
        + "No such file or directory\n")
  }

  @Test func aBadProfilesFileIsOneLineNamingTheFileAndEveryProblem() throws {
    let bad = dir.appendingPathComponent("bad.json").path
    try Data(
      #"{"readers": [{"name": "X", "match": "", "colour": "red", "success": [{"escape": "E0Z"}, {}]}]}"#.utf8
    ).write(to: URL(fileURLWithPath: bad))
    let program = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .appendingPathComponent("../../sim/program.json").standardized.path
    let cache = dir.appendingPathComponent("t01.db").path
    #expect(try cli(["program", "load", program, "--cache", cache, "--terminal", "T01"]).status == 0)
    let problems =
      "invalid reader profiles: \(bad): readers[0].colour: unknown field; readers[0].match: must not be empty; "
      + "readers[0].success[0].escape: \"E0Z\" is not 1-261 bytes of hex (two digits a byte); "
      + "readers[0].success[1]: must be one command, {\"pseudoAPDU\": HEX} or {\"escape\": HEX}"
    for command in [
      ["readers", "--simulated"], ["run", "--cache", cache, "--terminal", "T01", "--simulated", "--script"],
    ] {
      let run = try cli(command + ["--reader-profiles", bad])
      #expect(run.status == 1, "\(command)")
      #expect(run.errors == "loyalty-terminal \(command[0]): \(problems)\n")
    }
    let json = try cli(["readers", "--simulated", "--json", "--reader-profiles", bad])
    #expect(try object(json.output)["reason"] as? String == "invalidReaderProfiles")
  }
}

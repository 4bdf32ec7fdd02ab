import CardEmulation
import CardReader
import CounterFirmware
import CounterRuntime
import Foundation
import SimulatedCardReader
import Testing

/// Reader profiles from an operator's file (found as card profiles are) and the probe that tries
/// a reader's commands, on the simulated reader.
@Suite("Reader profiles: loading and probing")
struct ReaderProfileLoadingTests {
  let acr122 = "ACS ACR122U PICC Interface 00 00"
  let acr1252 = "ACS ACR1252 1S CL Reader [ACR1252 1S CL Reader(1)] 00 00"
  let dir: URL

  init() throws {
    dir = FileManager.default.temporaryDirectory.appendingPathComponent("reader-profiles-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
  }

  func write(_ name: String, _ text: String) throws -> String {
    let path = dir.appendingPathComponent(name).path
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    return path
  }

  @Test func theHardwareFileParsesStrictlyAndIsTheBuiltInTable() throws {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .appendingPathComponent("../../hardware/reader-profiles.json").standardizedFileURL
    let file = try ReaderProfiles.load(from: url)
    #expect(file.profiles.map(\.name) == ["ACS ACR122U", "ACS ACR1252U"])
    #expect(file.profiles == ReaderProfiles.builtIn.profiles)
  }

  @Test func theSearchOrderIsTheEnvironmentThenEtc() throws {
    #expect(
      ReaderProfiles.searchPaths(environment: ["LOYALTY_READER_PROFILES": "/x/r.json"]).map(\.path) == [
        "/x/r.json", "/etc/loyalty-terminal/reader-profiles.json",
      ])
    #expect(ReaderProfiles.searchPaths(environment: [:]).map(\.path) == ["/etc/loyalty-terminal/reader-profiles.json"])
    let own = try write("own.json", #"{"readers": [{"name": "Own", "match": "Own Reader"}]}"#)
    #expect(try ReaderProfiles.standard(environment: ["LOYALTY_READER_PROFILES": own]).profiles.map(\.name) == ["Own"])
    let missing = #expect(throws: ReaderProfiles.LoadError.self) {
      try ReaderProfiles.standard(environment: ["LOYALTY_READER_PROFILES": dir.path + "/typo.json"])
    }
    #expect(missing?.description.contains("typo.json: No such file or directory") == true)
  }

  @Test(.enabled(if: !FileManager.default.fileExists(atPath: "/etc/loyalty-terminal/reader-profiles.json")))
  func withNoFileTheBuiltInTableIsUsed() throws {
    #expect(try ReaderProfiles.standard(environment: [:]).profiles == ReaderProfiles.builtIn.profiles)
  }

  @Test func everyProblemIsNamedByItsPathInOneLine() throws {
    let bad = try write(
      "bad.json",
      #"{"readers": [{"name": "A", "match": "A", "attention": [{"pseudoAPDU": "FF0"}]}, {"name": 3}], "x": 1}"#)
    let error = #expect(throws: ReaderProfiles.LoadError.self) {
      try ReaderProfiles.load(from: URL(fileURLWithPath: bad))
    }
    #expect(
      error?.description
        == "invalid reader profiles: \(bad): x: unknown field; readers[0].attention[0].pseudoAPDU: \"FF0\" is not "
        + "1-261 bytes of hex (two digits a byte); readers[1].match: missing; readers[1].name: must be a string, "
        + "not an integer")
    let notJSON = try write("not.json", "{readers")
    let parse = #expect(throws: ReaderProfiles.LoadError.self) {
      try ReaderProfiles.load(from: URL(fileURLWithPath: notJSON))
    }
    #expect(parse?.description.hasPrefix("invalid reader profiles: \(notJSON): not valid JSON") == true)
  }

  @Test func theProbeReportsWhatWorkedPerReader() async throws {
    let system = SimulatedCardReaderSystem(readers: [acr122, acr1252, "Some Other Reader 00 00"])
    system.readerControl.answer(
      [0xE0, 0x00, 0x00, 0x18, 0x00], with: [0xE1, 0x00, 0x00, 0x00, 0x0A] + Array("ACR1252U10".utf8))
    // The ACR1252U takes escapes with no card; the ACR122U's pseudo-APDUs need one, and it has none.
    let escapes = await ReaderProbe.probe(reader: acr1252, profiles: .builtIn, system: system)
    #expect(escapes.profile == "ACS ACR1252U" && escapes.allWorked)
    #expect(escapes.firmwareVersion == "ACR1252U10")
    #expect(escapes.signals.map { $0.signal.name } == ["success", "failure", "attention"])
    #expect(escapes.signals.map { $0.step.sent } == [2, 3, 1])
    let empty = await ReaderProbe.probe(reader: acr122, profiles: .builtIn, system: system)
    #expect(empty.profile == "ACS ACR122U" && !empty.allWorked)
    #expect(empty.firmware?.worked == false && empty.firmware?.error?.contains("a pseudo-APDU needs one") == true)
    #expect(empty.signals.allSatisfy { !$0.step.worked && $0.step.sent == 0 })
    let none = await ReaderProbe.probe(reader: "Some Other Reader 00 00", profiles: .builtIn, system: system)
    #expect(none.profile == nil && none.firmware == nil && none.signals.isEmpty && !none.allWorked)
    // With a card in the field the ACR122U's commands go.
    system.insert(UIDCard(uid: [0x04, 0xA1, 0xB2, 0xC3]), into: acr122)
    #expect(await ReaderProbe.probe(reader: acr122, profiles: .builtIn, system: system).allWorked)
    #expect(system.readerControl.sent.filter { $0.reader == "Some Other Reader 00 00" }.isEmpty)
  }
}

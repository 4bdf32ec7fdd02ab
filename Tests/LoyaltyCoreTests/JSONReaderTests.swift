import Foundation
import Testing

@testable import LoyaltyCore

/// Programs, scenarios and reader profiles are read by one strict JSON reader: what a decoder
/// accepts, less a key given twice and a fraction read as an integer.
@Suite("The strict JSON reader")
struct JSONReaderTests {
  func read(_ text: String) throws(ValidationProblems) -> JSONValue { try JSONValue.parse(Data(text.utf8)) }

  func problem(_ text: String) -> String? {
    do throws(ValidationProblems) {
      _ = try read(text)
      return nil
    } catch { return error.problems.joined(separator: "; ") }
  }

  @Test func aKeyGivenTwiceInOneObjectIsRefusedWhereItIs() {
    let text = "{\n  \"earn\": {\"pointsPerUnit\": \"1\"},\n  \"points\": 150,\n  \"points\": 1\n}"
    #expect(problem(text) == "key \"points\" is given twice in one object: keep one (line 4, column 3)")
    // The same key in two objects is two keys.
    #expect(problem("[{\"a\": 1}, {\"a\": 2}, {\"b\": {\"a\": 3}}]") == nil)
  }

  @Test func aNumberIsAnIntegerOnlyWhenWrittenAsOne() throws {
    #expect(
      try read("[2, -7, 0, -0, 9223372036854775807]")
        == .array([.integer(2), .integer(-7), .integer(0), .integer(0), .integer(.max)]))
    #expect(
      try read("[2.0, 2e0, 1E+2, 0.5, -1.25e-3]")
        == .array([.number(2), .number(2), .number(100), .number(0.5), .number(-0.00125)]))
    #expect(problem("9223372036854775808")?.contains("is beyond 64 bits") == true)
    #expect(problem("[-99999999999999999999999999]")?.contains("-99999999999999999999999… is beyond 64 bits") == true)
    for bad in ["01", "-", "1.", ".5", "1e", "+1", "1e999", "NaN", "0x10"] {
      #expect(problem(bad)?.hasPrefix("not valid JSON: ") == true, "\(bad)")
    }
  }

  @Test func formatOnePointZeroIsNotAFormat() throws {
    let program = try #require(String(data: Fixtures.programJSON { $0["format"] = 1 }, encoding: .utf8))
    #expect(program.contains("\"format\":1"))
    _ = try ProgramParser.parse(Data(program.utf8))
    let fraction = program.replacingOccurrences(of: "\"format\":1", with: "\"format\":1.0")
    do throws(ValidationProblems) {
      _ = try ProgramParser.parse(Data(fraction.utf8))
      Issue.record("format 1.0 was read as format 1")
    } catch {
      #expect(error.problems.contains { $0.contains("format") && $0.contains("not a fractional number") }, "\(error)")
    }
  }

  @Test func stringsAreReadWithTheirEscapesAndNothingElse() throws {
    #expect(try read(#""a\"b\\c\/d\n\t\u00e9\ud83d\ude00""#) == .string("a\"b\\c/d\n\té😀"))
    #expect(try read("\"café\"") == .string("café"))
    #expect(problem(#""\ud83d""#)?.contains("lone surrogate") == true)
    #expect(problem(#""\ude00""#)?.contains("lone surrogate") == true)
    #expect(problem(#""\x41""#)?.contains("unknown escape") == true)
    #expect(problem(#""\u12g4""#)?.contains("four hex digits") == true)
    #expect(problem("\"tab\there\"")?.contains("control character") == true)
    #expect(problem("\"open")?.contains("ends inside a string") == true)
    #expect(throws: ValidationProblems.self) { try JSONValue.parse(Data([0x22, 0xC3, 0x28, 0x22])) }
  }

  @Test func theDocumentIsOneValueNestedNoDeeperThanTheBound() throws {
    #expect(try JSONValue.parse(Data([0xEF, 0xBB, 0xBF] + Array(" {} ".utf8))) == .object([:]))
    #expect(problem("{} {}")?.contains("more after the document's end") == true)
    #expect(problem("")?.contains("ends where a value was expected") == true)
    #expect(problem("[1, 2,]")?.hasPrefix("not valid JSON") == true)
    #expect(problem("{\"a\" 1}")?.contains("\":\" was expected") == true)
    #expect(problem("{a: 1}")?.contains("a key (a string) was expected") == true)
    #expect(problem("tru") != nil)
    let deepest =
      String(repeating: "[", count: JSONReader.maxDepth) + String(repeating: "]", count: JSONReader.maxDepth)
    #expect(problem(deepest) == nil)
    #expect(problem("[" + deepest + "]")?.contains("nested deeper than 64 levels") == true)
  }

  /// Every JSON document the repository ships reads as JSONDecoder read it.
  @Test func theRepositorysDocumentsReadAsTheDecoderReadThem() throws {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..")
    var files: [URL] = []
    for dir in ["sim", "sim/scenarios", "Sources/CardIdentification", "Sources/CounterRuntime"] {
      let url = root.appendingPathComponent(dir)
      files += try FileManager.default.contentsOfDirectory(at: url, includingPropertiesForKeys: nil)
        .filter { $0.pathExtension == "json" }
    }
    #expect(files.count >= 10)
    for file in files {
      let data = try Data(contentsOf: file)
      #expect(
        try JSONValue.parse(data) == JSONDecoder().decode(JSONValue.self, from: data), "\(file.lastPathComponent)")
    }
  }
}

import Foundation
import FuzzHarness
import Testing

/// Every input in Tests/FuzzCorpus/TARGET — the seeds and any crash the fuzzer ever found
/// (kept as crash-* files) — runs through its target without trapping.
@Suite("Fuzz corpora and regressions")
struct FuzzRegressionTests {
  static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../FuzzCorpus").standardized

  @Test(arguments: FuzzTarget.allCases)
  func everyCorpusInputIsHandled(target: FuzzTarget) async throws {
    let dir = Self.corpus.appendingPathComponent(target.rawValue)
    let files = try FileManager.default.contentsOfDirectory(atPath: dir.path)
    #expect(files.contains { $0.hasPrefix("seed-") }, "seeds for \(target)")
    for file in files.sorted() {
      await target.check(Array(try Data(contentsOf: dir.appendingPathComponent(file))))
    }
  }

  @Test func theSeedsAreValidInputs() async {
    // A seed that the parser refuses would start the fuzzer from nothing.
    let seeds = await FuzzSeeds.seeds(for: .apdu)
    #expect(seeds.count == 4)
    for (name, script) in seeds { #expect(script.count > 20, "\(name)") }
  }
}

import Foundation
import HQBackOffice
import LedgerFormat
import LedgerStore
import LoyaltyCore
import TestSupport
import Testing

/// The pieces `ledger status` reads: key fingerprints, and the admission's refusals per terminal.
@Suite("Ledger operator views: fingerprints and refusal counts")
struct LedgerOperatorViewsTests {
  @Test func aFingerprintIsShortHexOfTheKeysSHA256() throws {
    let f = try ChainFixture(terminals: 2)
    let a = LedgerKey.fingerprint(ofPublicKey: f.chain.keys["T01"]!.publicKeyBase64)
    #expect(a.hasPrefix("sha256:") && a.count == "sha256:".count + 16, "\(a)")
    #expect(a.dropFirst(7).allSatisfy { $0.isHexDigit })
    #expect(a == f.chain.keys["T01"]!.fingerprint)
    #expect(a != f.chain.keys["T02"]!.fingerprint && a != f.hq.fingerprint)
  }

  /// HQ writes at most 100 lines per batch and one "N more" line: that line counts as N.
  @Test func refusalsAreCountedPerTerminalWithTheLastTime() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("refusals-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let ledger = dir.appendingPathComponent("ledger.jsonl").path
    let lines = [
      #"{"at":"2026-11-02T02:00:00Z","id":"earn-T01/R1","kind":"earn","reason":"r","terminal":"T01"}"#,
      #"{"at":"2026-11-03T02:00:00Z","id":"…","kind":"…","reason":"7 more entries of this batch refused","#
        + #""terminal":"T01"}"#,
      #"{"at":"2026-11-02T03:00:00Z","account":"acct-x","id":"e","kind":"earn","points":"5","reason":"r","#
        + #""terminal":"T02"}"#,
      #"{"at":"2026-11-04T0"#,
    ]
    try (lines.joined(separator: "\n") + "\n").write(toFile: ledger + ".refusals", atomically: true, encoding: .utf8)
    let log = RefusalLog(ledger: ledger)
    #expect(log.records().count == 3, "a torn last line is passed over")
    #expect(log.records().last?.points == 5 && log.records().last?.account == "acct-x")
    let counts = log.countsByTerminal()
    #expect(counts["T01"]?.count == 8 && counts["T01"]?.last == UTCInstant(parsing: "2026-11-03T02:00:00Z"))
    #expect(counts["T02"]?.count == 1)
    #expect(RefusalLog(ledger: dir.appendingPathComponent("none").path).countsByTerminal().isEmpty)
  }
}

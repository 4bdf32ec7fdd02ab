import Foundation
import LoyaltyCLISupport
import LoyaltyTerminalCLI

/// The ledger benchmarks, per history size of honest loyalty-ledger/2 traffic: the audit's time
/// and memory against the plain verify of the same file in the same run, hledger and bean-check
/// on its export, and a terminal's sync of 10 000 new entries.
struct LedgerBenchmark {
  var sizes: [Int]

  struct Phase: Decodable {
    var entries: Int
    var ns: Int64?
    var lines: Int?
    var accounts: Int?
    var refused: Int?
    var firstRefusal: String?
    var fileBytes: Int?
    var journal: String?
    var lookUps: Int?
    var lookUpNs: Int64?
    var lookUpBaselineNs: Int64?
    var peakKiB: Int
  }

  func phase(_ name: String, _ size: Int, _ scratch: URL, _ extra: [String] = []) async throws -> Phase {
    let data = try await ExternalClient.runWorker(
      ["bench-ledger-worker", "--directory", scratch.path, "--entries", "\(size)", "--phase", name] + extra)
    return try JSONDecoder().decode(Phase.self, from: data)
  }

  func run() async throws -> [BenchRow] {
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("loyalty-ledger-bench-\(getpid())")
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: scratch) }
    var rows: [BenchRow] = []
    var smallestSync: Int64 = 0
    for (i, size) in sizes.enumerated() {
      printError("bench: generating an honest ledger of \(size) entries…")
      let generated = try await phase("generate", size, scratch)
      // The plain verification and the audit of the same file, each in a process of its own,
      // in the same run: the audit's cost as a ratio of the verify's (goal ≤ 2×).
      let verify = try await phase("verify", size, scratch)
      let audit = try await phase("audit", size, scratch, i == 0 ? ["--export-hledger"] : [])
      guard audit.refused == 0 else {
        throw ExternalClient.Failure(
          description: "the audit refused honest traffic: \(audit.firstRefusal ?? "?") (\(audit.refused ?? 0) in all)")
      }
      let lines = Int64(verify.lines ?? size)
      let verifyNs = verify.ns ?? 1
      let auditNs = audit.ns ?? 1
      let mib = (generated.fileBytes ?? 0) / 1_048_576
      rows.append(
        BenchRow(
          name: "ledger audit (verify + re-derive + fold), \(size) entries (\(mib) MiB)", samples: size,
          result: "\(lines * 1_000_000_000 / max(1, auditNs)) lines/s, \(audit.peakKiB / 1024) MiB peak",
          baseline:
            "plain verify: \(lines * 1_000_000_000 / max(1, verifyNs)) lines/s, \(verify.peakKiB / 1024) MiB peak",
          ratio: ratio(auditNs, verifyNs) + "× the verify's time (goal ≤ 2×)", peakRSSKiB: audit.peakKiB,
          metrics: ["auditNs": auditNs, "verifyNs": verifyNs, "entries": Int64(size)]))
      if let n = audit.lookUps, n > 0, let lookUpNs = audit.lookUpNs, let baselineNs = audit.lookUpBaselineNs {
        rows.append(
          BenchRow(
            name: "HQ answering \(n) look-ups (the audit's view on the terminal's basis, signed), history \(size)",
            samples: n, result: "\(lookUpNs / Int64(n) / 1_000) µs each",
            baseline: "the current state encoded and signed: \(baselineNs / Int64(n) / 1_000) µs each",
            ratio: ratio(lookUpNs, baselineNs), peakRSSKiB: audit.peakKiB,
            metrics: ["lookUpNs": lookUpNs, "baselineNs": baselineNs]))
      }
      if i == 0, let journal = audit.journal {
        let hledgerNs = await Self.time("/usr/bin/hledger", ["-f", journal, "bal", "points:customers", "-N", "--flat"])
        let beancount = URL(fileURLWithPath: journal).deletingLastPathComponent()
          .appendingPathComponent("points.beancount").path
        let beanCheckNs = await Self.time("/usr/bin/bean-check", [beancount])
        for (tool, ns) in [("hledger bal", hledgerNs), ("bean-check", beanCheckNs)] where ns > 0 {
          rows.append(
            BenchRow(
              name: "ledger audit vs \(tool) on its export, \(size) entries", samples: size,
              result: "\(ms(auditNs)) ms", baseline: "\(tool): \(ms(ns)) ms",
              ratio: ratio(ns, auditNs) + "× faster than \(tool)", peakRSSKiB: audit.peakKiB,
              metrics: ["auditNs": auditNs, "toolNs": ns]))
        }
      }
      let sync = try await phase("sync", size, scratch)
      if i == 0 { smallestSync = sync.ns ?? 1 }
      rows.append(
        BenchRow(
          name: "sync of 10000 new entries (audits the whole file), history \(size)", samples: 10_000,
          result: "\(ms(sync.ns ?? 0)) ms", baseline: "history \(sizes[0]): \(ms(smallestSync)) ms",
          ratio: ratio(sync.ns ?? 0, smallestSync), peakRSSKiB: sync.peakKiB, metrics: ["syncNs": sync.ns ?? 0]))
      try? FileManager.default.removeItem(at: scratch.appendingPathComponent("ledger-\(size)"))
    }
    return rows
  }

  /// Wall time of a baseline tool in a child process; 0 when it is not installed or fails.
  static func time(_ tool: String, _ arguments: [String]) async -> Int64 {
    guard FileManager.default.isExecutableFile(atPath: tool),
      let outcome = try? await Child.run(tool, arguments), outcome.status == 0
    else { return 0 }
    return outcome.elapsed.nanoseconds
  }

}

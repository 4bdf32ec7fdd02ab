import LoyaltyTerminalCLI
import Foundation

/// The ledger benchmarks: verify+fold throughput and peak memory per history size, hledger's
/// balance of the same entries (exported) in the same run, and a sync of 10 000 new entries
/// against each history size.
struct LedgerBenchmark {
  var sizes: [Int]

  struct WorkerResult: Decodable {
    var entries: Int
    var accounts: Int
    var foldNs: Int64
    var fileBytes: Int
    var foldPeakKiB: Int
    var syncNs: Int64
    var journal: String
    var peakKiB: Int
  }

  func run() async throws -> [BenchRow] {
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("loyalty-ledger-bench-\(getpid())")
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: scratch) }
    var results: [WorkerResult] = []
    for (i, size) in sizes.enumerated() {
      printError("bench: ledger with \(size) entries…")
      let data = try await ExternalClient.runWorker(
        ["bench-ledger-worker", "--directory", scratch.path, "--entries", "\(size)"]
          + (i == 0 ? ["--export-hledger"] : []))
      results.append(try JSONDecoder().decode(WorkerResult.self, from: data))
    }
    var rows: [BenchRow] = []
    let smallest = results[0]
    // hledger computing the same balances from the export of the smallest ledger, and
    // bean-check reading and checking the beancount export of it.
    let hledgerNs = await Self.time(
      "/usr/bin/hledger", ["-f", smallest.journal, "bal", "points:customers", "-N", "--flat"])
    let beancount = URL(fileURLWithPath: smallest.journal).deletingLastPathComponent()
      .appendingPathComponent("points.beancount").path
    let beanCheckNs = await Self.time("/usr/bin/bean-check", [beancount])
    for r in results {
      let perSecond = Int64(r.entries) * 1_000_000_000 / max(1, r.foldNs)
      let hledgerRatio =
        r.entries == smallest.entries && hledgerNs > 0 ? ratio(hledgerNs, r.foldNs) + "× faster than hledger" : "-"
      rows.append(
        BenchRow(
          name: "ledger verify+fold, \(r.entries) entries (\(r.fileBytes / 1_048_576) MiB)", samples: r.entries,
          result: "\(perSecond) entries/s",
          baseline: r.entries == smallest.entries && hledgerNs > 0
            ? "hledger bal on the export: \(ms(hledgerNs)) ms" : "goal ≥ 2 000 000/s",
          ratio: r.entries == smallest.entries ? hledgerRatio : ratio(perSecond, 2_000_000) + " of goal",
          peakRSSKiB: r.foldPeakKiB,
          metrics: ["foldNs": r.foldNs, "entries": Int64(r.entries), "hledgerNs": hledgerNs]))
      if r.entries == smallest.entries && beanCheckNs > 0 {
        rows.append(
          BenchRow(
            name: "ledger verify+fold vs bean-check, \(r.entries) entries", samples: r.entries,
            result: "\(ms(r.foldNs)) ms", baseline: "bean-check on the export: \(ms(beanCheckNs)) ms",
            ratio: ratio(beanCheckNs, r.foldNs) + "× faster than bean-check", peakRSSKiB: r.foldPeakKiB,
            metrics: ["foldNs": r.foldNs, "beanCheckNs": beanCheckNs]))
      }
    }
    for r in results {
      rows.append(
        BenchRow(
          name: "sync of 10000 new entries, history \(r.entries)", samples: 10_000, result: "\(ms(r.syncNs)) ms",
          baseline: "history \(smallest.entries): \(ms(smallest.syncNs)) ms", ratio: ratio(r.syncNs, smallest.syncNs),
          peakRSSKiB: r.peakKiB, metrics: ["syncNs": r.syncNs]))
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

import Foundation
import LoyaltyCLISupport

/// The state-model benchmarks (issue: a counter holds its cardholders' state, not the chain's
/// history): for each chain size, a worker process (`bench-state-worker`) bootstraps a terminal's
/// replica with every account, then runs `nights` nights of changed accounts. The rows: a night's
/// sync (verify + apply) against the `sqlite3` CLI upserting the same rows in the same run; the
/// bootstrap; the bytes of a delta against the changed states' canonical size; the cache against
/// accounts × state size, night by night; HQ's epoch against a full re-hash.
struct StateBenchmark {
  /// (accounts, changed per night, nights).
  var sizes: [(accounts: Int, changed: Int, nights: Int)]

  struct Night: Decodable {
    var night: Int
    var publishNs: Int64
    var applyNs: Int64
    var deltaBytes: Int
    var changedStateBytes: Int
    var cacheBytes: Int
    var stateBytes: Int
    var sqlite3Ns: Int64?
  }

  struct WorkerResult: Decodable {
    var accounts: Int
    var changed: Int
    var fullHashNs: Int64
    var bootstrapNs: Int64
    var bootstrapBytes: Int
    var nights: [Night]
    /// The peak resident size while the terminal applied a night's delta (the process's peak
    /// reset before each); `processPeakRSSKiB` the whole worker's, HQ's side and the bootstrap
    /// included.
    var peakRSSKiB: Int
    var processPeakRSSKiB: Int
    var regionMembers: Int
    var regionBootstrapNs: Int64
    var regionBootstrapBytes: Int
  }

  func run() async throws -> [BenchRow] {
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("loyalty-state-bench-\(getpid())")
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: scratch) }
    var rows: [BenchRow] = []
    for size in sizes {
      printError(
        "bench: state model, \(size.accounts) accounts, \(size.changed) changed a night, \(size.nights) nights…")
      let baselineNights = Set([1, size.nights]).sorted().map(String.init).joined(separator: ",")
      let data = try await ExternalClient.runWorker([
        "bench-state-worker", "--directory", scratch.path, "--accounts", "\(size.accounts)", "--changed",
        "\(size.changed)", "--nights", "\(size.nights)", "--baseline-nights", baselineNights,
        "--region-members", "\(min(100_000, size.accounts / 10))",
      ])
      let r = try JSONDecoder().decode(WorkerResult.self, from: data)
      rows += Self.rows(r)
    }
    return rows
  }

  static func rows(_ r: WorkerResult) -> [BenchRow] {
    let n = r.accounts
    let c = r.changed
    var rows: [BenchRow] = []
    let timed = r.nights.filter { $0.sqlite3Ns != nil }
    let ours = timed.reduce(Int64(0)) { $0 + $1.applyNs }
    let theirs = timed.reduce(Int64(0)) { $0 + ($1.sqlite3Ns ?? 0) }
    rows.append(
      BenchRow(
        name: "a terminal's nightly sync: \(c) changed of \(n) accounts (read + verify digest + apply)",
        samples: timed.count, result: "\(ms(ours / Int64(max(1, timed.count)))) ms a night",
        baseline: "sqlite3 CLI upserting the same \(c) rows sorted by key, one transaction: "
          + "\(ms(theirs / Int64(max(1, timed.count)))) ms",
        ratio: ratio(ours, theirs) + " (goal ≤ 2×); peak RSS goal ≤ 150 MB", peakRSSKiB: r.peakRSSKiB,
        metrics: ["applyNs": ours, "sqlite3Ns": theirs, "peakRSSKiB": Int64(r.peakRSSKiB)]))
    rows.append(
      BenchRow(
        name: "bootstrap: every state of \(n) accounts (a new terminal)", samples: 1,
        result: "\(ms(r.bootstrapNs)) ms, \(r.bootstrapBytes) bytes", baseline: "goal ≤ 5 s at 100 000",
        ratio: ratio(r.bootstrapNs, 5_000_000_000 * Int64(n) / 100_000) + " of goal", peakRSSKiB: nil,
        metrics: ["bootstrapNs": r.bootstrapNs, "bytes": Int64(r.bootstrapBytes)]))
    if r.regionMembers > 0 {
      rows.append(
        BenchRow(
          name: "a terminal in a region joining: \(r.regionMembers) members (partial replica bootstrap)", samples: 1,
          result: "\(ms(r.regionBootstrapNs)) ms, \(r.regionBootstrapBytes) bytes",
          baseline: "every state of the chain's \(n) accounts (the bootstrap above): \(ms(r.bootstrapNs)) ms; "
            + "goal ≤ 5 s at 100 000 members",
          ratio: ratio(r.regionBootstrapNs, r.bootstrapNs), peakRSSKiB: nil,
          metrics: ["regionBootstrapNs": r.regionBootstrapNs, "bytes": Int64(r.regionBootstrapBytes)]))
    }
    let deltaBytes = r.nights.reduce(0) { $0 + $1.deltaBytes }
    let stateBytes = r.nights.reduce(0) { $0 + $1.changedStateBytes }
    rows.append(
      BenchRow(
        name: "bytes downloaded a night, \(c) changed accounts", samples: r.nights.count,
        result: "\(deltaBytes / max(1, r.nights.count)) bytes",
        baseline: "the changed states' canonical size: \(stateBytes / max(1, r.nights.count)) bytes",
        ratio: ratio(Int64(deltaBytes), Int64(stateBytes)) + " (goal ≤ 1.2×)", peakRSSKiB: nil,
        metrics: ["deltaBytes": Int64(deltaBytes), "stateBytes": Int64(stateBytes)]))
    let first = r.nights.first!
    let last = r.nights.last!
    let sizes = r.nights.map { "\($0.cacheBytes / 1024)" }.joined(separator: " ")
    rows.append(
      BenchRow(
        name: "the cache over \(r.nights.count) nights (KiB, night by night: \(sizes))", samples: r.nights.count,
        result: "night 1: \(first.cacheBytes) bytes; night \(last.night): \(last.cacheBytes) bytes",
        baseline: "accounts × state size: \(last.stateBytes) bytes",
        ratio: ratio(Int64(last.cacheBytes), Int64(last.stateBytes)) + " (goal ≤ 1.3×); growth "
          + ratio(Int64(last.cacheBytes), Int64(first.cacheBytes)),
        peakRSSKiB: nil,
        metrics: [
          "firstCacheBytes": Int64(first.cacheBytes), "lastCacheBytes": Int64(last.cacheBytes),
          "stateBytes": Int64(last.stateBytes),
        ]))
    let publish = r.nights.reduce(Int64(0)) { $0 + $1.publishNs } / Int64(max(1, r.nights.count))
    rows.append(
      BenchRow(
        name: "HQ publishing an epoch: \(c) changed of \(n) accounts (encode + re-hash)", samples: r.nights.count,
        result: "\(ms(publish)) ms (\(publish / Int64(max(1, c))) ns an account)",
        baseline: "hashing every account (a restart): \(ms(r.fullHashNs)) ms",
        ratio: ratio(publish, r.fullHashNs), peakRSSKiB: nil,
        metrics: ["publishNs": publish, "fullHashNs": r.fullHashNs]))
    return rows
  }
}

import CounterSimulation
import Foundation
import LoyaltyCLISupport
import LoyaltyCore
import LoyaltyTerminalCLI

/// The points-cache benchmarks: identify latency and durable earns with N cardholders, each size
/// in a worker process of its own (so peak RSS is per size), and the same earns' writes through
/// the sqlite3 CLI on the same file, same synchronous setting, in the same run.
struct CacheBenchmark {
  var sizes: [Int]
  var identifies: Int
  var earns: Int
  /// The earns are split in this many rounds, ours and sqlite3's taking turns.
  var rounds = 4

  struct WorkerResult: Decodable {
    var cardholders: Int
    var populateMs: Int64
    var identifyP50Ns: Int64
    var identifyP99Ns: Int64
    var earns: Int
    var earnNs: Int64
    var peakRSSKiB: Int
    var database: String
    var fileBytes: Int
  }

  func run() async throws -> [BenchRow] {
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("loyalty-cache-bench-\(getpid())")
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: scratch) }
    var results: [WorkerResult] = []
    func worker(_ size: Int, _ extra: [String]) async throws -> WorkerResult {
      let data = try await ExternalClient.runWorker(
        ["bench-cache-worker", "--directory", scratch.path, "--cardholders", "\(size)"] + extra)
      return try JSONDecoder().decode(WorkerResult.self, from: data)
    }
    for size in sizes {
      printError("bench: cache with \(size) cardholders…")
      results.append(try await worker(size, ["--identifies", "\(identifies)", "--earns", "0"]))
    }
    var rows: [BenchRow] = []
    let smallest = results.first!
    let largest = results.last!
    for r in results {
      rows.append(
        BenchRow(
          name: "identify, \(r.cardholders) cardholders (card → account, tier, balance)", samples: identifies,
          result: "p50 \(ms(r.identifyP50Ns)) ms, p99 \(ms(r.identifyP99Ns)) ms", baseline: "goal p99 ≤ 1 ms",
          ratio: ratio(r.identifyP99Ns, 1_000_000) + " of goal", peakRSSKiB: r.peakRSSKiB,
          metrics: [
            "p50Ns": r.identifyP50Ns, "p99Ns": r.identifyP99Ns, "populateMs": r.populateMs,
            "fileBytes": Int64(r.fileBytes),
          ]))
    }
    // Durable earns on the largest cache, in rounds taking turns with the same writes through
    // the sqlite3 CLI on the same file (this machine's disk is noisy; turns spread the noise).
    let largestSize = largest.cardholders
    let perRound = max(1, earns / rounds)
    var oursNs: Int64 = 0
    var rawNs: Int64 = 0
    var earnPeak = 0
    for round in 0..<rounds {
      let ours = try await worker(
        largestSize, ["--identifies", "0", "--earns", "\(perRound)", "--earn-offset", "\(round * perRound)"])
      oursNs += ours.earnNs
      earnPeak = max(earnPeak, ours.peakRSSKiB)
      let cards = (0..<perRound).map { ChainTraffic.loyaltyNumber(($0 * 7919 + round) % largestSize) }
      let accounts = cards.map { Identities.accountID(enrolledWith: $0) }
      rawNs += try await SQLiteBaseline.run(
        database: largest.database, cards: cards, accounts: accounts, count: perRound, label: "S\(round)-"
      ).nanoseconds
    }
    let oursPerSecond = Int64(perRound * rounds) * 1_000_000_000 / max(1, oursNs)
    let rawPerSecond = Int64(perRound * rounds) * 1_000_000_000 / max(1, rawNs)
    rows.append(
      BenchRow(
        name: "durable earns/s, \(largest.cardholders) cardholders (one fsync'd transaction each)",
        samples: perRound * rounds,
        result: "\(oursPerSecond) earns/s", baseline: "sqlite3 CLI, same writes: \(rawPerSecond) tx/s",
        ratio: ratio(oursPerSecond, rawPerSecond), peakRSSKiB: earnPeak,
        metrics: ["oursPerSecond": oursPerSecond, "sqlite3PerSecond": rawPerSecond]))
    rows.append(
      BenchRow(
        name: "peak RSS of a terminal process: \(largest.cardholders) vs \(smallest.cardholders) cardholders",
        samples: 2,
        result: "\(largest.peakRSSKiB) KiB", baseline: "\(smallest.peakRSSKiB) KiB",
        ratio: ratio(Int64(largest.peakRSSKiB), Int64(smallest.peakRSSKiB)),
        peakRSSKiB: nil, metrics: ["largeKiB": Int64(largest.peakRSSKiB), "smallKiB": Int64(smallest.peakRSSKiB)]))
    return rows
  }
}

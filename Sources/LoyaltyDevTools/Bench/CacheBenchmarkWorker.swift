import ArgumentParser
import CardIdentification
import CounterSimulation
import Foundation
import LoyaltyCLISupport
import LoyaltyCore
import LoyaltyTerminalCLI
import PointsCache

/// `loyalty-terminal bench-cache-worker` (hidden): one size of the cache benchmark in a process
/// of its own, so its peak RSS is its own. Prints one JSON object.
struct CacheBenchmarkWorker: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "bench-cache-worker", shouldDisplay: false)

  @Option var directory: String
  @Option var cardholders: Int
  @Option var identifies: Int
  @Option var earns: Int
  @Option var seed: UInt64 = 1
  /// Skip building the cache (it exists from an earlier call) and only earn, from this index.
  @Option var earnOffset: Int?

  /// The n-th benchmark card: 628000 + 9 digits + a Luhn check digit.
  func run() throws {
    let path = URL(fileURLWithPath: directory).appendingPathComponent("bench-\(cardholders).db").path
    let cache = try PointsCache(path: path)
    let programURL = try RepositoryFile.locate("sim/program.json").orThrow("sim/program.json not found")
    let json = try String(contentsOf: programURL, encoding: .utf8)
    let start = UTCInstant(parsing: "2026-11-02T08:00:00Z")!
    try cache.loadProgram(
      try ProgramParser.parse(Data(json.utf8)), json: json, context: .init(terminal: "B1", operator: "bench", at: start)
    )
    let clock = ContinuousClock()
    let populateStart = clock.now
    if earnOffset == nil {
      try cache.bulkEnroll(
        cards: (0..<cardholders).lazy.map(ChainTraffic.loyaltyNumber),
        context: .init(terminal: "B1", operator: "bench", at: start))
    }
    let populate = clock.now - populateStart
    var rng = SplitMix64(seed: seed &+ UInt64(earnOffset ?? 0))

    var identify = [Int64]()
    identify.reserveCapacity(identifies)
    for _ in 0..<(earnOffset == nil ? identifies : 0) {
      let card = ChainTraffic.loyaltyNumber(Int(rng.next() % UInt64(cardholders)))
      let t0 = clock.now
      _ = try cache.identify(card: card, at: start.adding(days: 1))
      identify.append((clock.now - t0).nanoseconds)
    }

    // Durable earns, each its own fsync'd transaction, on random cards.
    var earnCards: [String] = []
    let earnStart = clock.now
    for i in (earnOffset ?? 0)..<((earnOffset ?? 0) + earns) {
      let card = ChainTraffic.loyaltyNumber(Int(rng.next() % UInt64(cardholders)))
      earnCards.append(card)
      _ = try cache.earn(
        card: card, lines: [PurchaseLine(category: "fresh", amount: 1000 + Int64(i % 5000))], receipt: "E\(i)",
        context: .init(terminal: "B1", operator: "bench", at: start.adding(seconds: 3600 + Int64(i))))
    }
    let earnElapsed = clock.now - earnStart
    let sample = LatencySample(identify)
    let result: [String: Any] = [
      "cardholders": cardholders, "populateMs": populate.nanoseconds / 1_000_000, "identifyP50Ns": sample.p50,
      "identifyP99Ns": sample.p99, "earns": earns, "earnNs": earnElapsed.nanoseconds, "peakRSSKiB": peakResidentKiB(),
      "database": path, "fileBytes": (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0,
    ]
    emit(JSONLine.encode(result))
  }
}

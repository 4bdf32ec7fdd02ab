import ArgumentParser
import CardEmulation
import CardReader
import Foundation
import Logging
import LoyaltyCLISupport
import LoyaltyTerminalCLI
import PCSCCardReader
import VirtualCard

/// `loyalty-terminal bench`: every benchmark, each with its baseline from the same run.
struct BenchCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bench",
    abstract: "Run every benchmark against its baseline in one run: Markdown table on stdout, JSON file.",
    discussion: """
      reader (needs pcscd with vpcd; hardware/bench/run.sh starts and stops one): GET UID round trips on a \
      virtual UID card through loyalty-terminal, a C libpcsclite client and pyscard in interleaved rounds, \
      then tap→ID on the simulated reader. cache: identify and durable earns with 1 000 000 cardholders \
      against the sqlite3 CLI doing the same writes. ledger: verify+fold of 100 k / 1 M / 10 M-entry ledgers \
      against hledger and bean-check on the exports, and sync time per history size. network: HQ's \
      admission through hq serve vs the file path, and a terminal's download + apply of 10 k / 200 k / 2 M \
      foreign entries vs the sqlite3 CLI inserting the same rows. memory: a 10 000-tap \
      watch loop and a 60-day chain simulation with RSS sampled. --quick shrinks every size (well under two \
      minutes); --smoke is smaller still (CI, debug build: proves every suite runs); the run reports its own duration.
      """)

  @Flag(help: "A short run (fewer exchanges and rounds).")
  var quick = false

  @Flag(help: "The smallest run of every suite, for CI on a debug build: proves each still runs; figures mean nothing.")
  var smoke = false

  @Option(help: "GET UID exchanges per client per round.")
  var iterations: Int?

  @Option(help: "Rounds; the clients take turns in each.")
  var rounds: Int?

  @Flag(help: "Leave pyscard out.")
  var noPyscard = false

  @Option(help: "Where to write the JSON figures.")
  var jsonOut: String = "bench-results/bench.json"

  @Option(help: "Which suites: reader (needs pcscd), cache, ledger, network, state, memory. Repeatable; default all.")
  var suite: [String] = []

  @Option(help: "Log level on stderr.")
  var logLevel: String = "warning"

  static let allSuites = ["reader", "cache", "ledger", "network", "state", "memory"]
  var suites: Set<String> { suite.isEmpty ? Set(Self.allSuites) : Set(suite) }

  func validate() throws {
    for s in suite where !Self.allSuites.contains(s) {
      throw ValidationError("--suite \"\(s)\" is not one of \(Self.allSuites.joined(separator: ", "))")
    }
    if let iterations, iterations < 10 { throw ValidationError("--iterations must be at least 10") }
    if let rounds, rounds < 1 { throw ValidationError("--rounds must be at least 1") }
  }

  func run() async throws {
    let started = ContinuousClock.now
    let logger = try ReaderOptions.parse(["--log-level", logLevel]).makeLogger("bench")
    let bench = ReaderBenchmark(
      iterations: iterations ?? (smoke ? 100 : quick ? 1_000 : 5_000), rounds: rounds ?? (smoke ? 1 : quick ? 2 : 5),
      warmup: smoke ? 20 : quick ? 100 : 500, includePyscard: !noPyscard, logger: logger)

    var rows: [BenchRow] = []
    if suites.contains("reader") {
      let reader = "Virtual PCD 00 00"
      let card = VirtualCard(
        card: UIDCard(uid: [0x04, 0xA1, 0xB2, 0xC3]), port: VirtualCard.port(forSlot: 0), logger: logger)
      do { try card.insert() } catch {
        printError("bench: \(error). Start pcscd first, or use hardware/bench/run.sh (or --suite cache).")
        throw ExitCode(2)
      }
      try await waitForCard(in: reader, logger: logger)
      rows += try await bench.roundTrips(reader: reader)
      card.remove()
      rows += try await bench.simulatedTaps(count: smoke ? 200 : quick ? 2_000 : 20_000)
    }
    if suites.contains("cache") {
      let cacheBench = CacheBenchmark(
        sizes: smoke ? [1_000, 5_000] : quick ? [10_000, 100_000] : [100_000, 1_000_000],
        identifies: smoke ? 200 : quick ? 5_000 : 20_000, earns: smoke ? 40 : quick ? 300 : 2_000)
      rows += try await cacheBench.run()
    }
    if suites.contains("ledger") {
      rows += try await LedgerBenchmark(
        sizes: smoke ? [1_000, 5_000] : quick ? [10_000, 100_000] : [100_000, 1_000_000, 10_000_000]
      ).run()
    }
    if suites.contains("network") {
      rows += try await NetworkBenchmark(
        sizes: smoke ? [1_000, 3_000] : quick ? [10_000, 50_000] : [10_000, 200_000, 2_000_000],
        terminals: smoke ? 3 : quick ? 10 : 50, batches: smoke ? 1 : quick ? 2 : 4
      ).run()
    }
    if suites.contains("state") {
      rows += try await StateBenchmark(
        sizes: smoke
          ? [(2_000, 300, 3)] : quick ? [(100_000, 15_000, 30)] : [(100_000, 15_000, 30), (1_000_000, 150_000, 5)]
      ).run()
    }
    if suites.contains("memory") {
      rows += try await MemoryBenchmark(
        taps: smoke ? 300 : quick ? 2_000 : 10_000, chainDays: smoke ? 3 : quick ? 10 : 60,
        chainCardholders: smoke ? 30 : quick ? 100 : 500, logger: logger
      ).run()
    }
    let elapsed = ContinuousClock.now - started
    let peak = peakResidentKiB()

    print(BenchRow.header)
    for r in rows { print(r.markdown) }
    print("")
    print(
      "loyalty-terminal peak RSS (whole bench process): \(peak) KiB; run took \(elapsed.formatted(.units(allowed: [.seconds], fractionalPart: .show(length: 1))))."
    )

    struct Report: Codable {
      var date: String
      var quick: Bool
      var elapsedSeconds: Int64
      var peakRSSKiB: Int
      var rows: [BenchRow]
    }
    let report = Report(
      date: ISO8601DateFormatter().string(from: Date()), quick: quick,
      elapsedSeconds: elapsed.components.seconds, peakRSSKiB: peak, rows: rows)
    let url = URL(fileURLWithPath: jsonOut)
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    try encoder.encode(report).write(to: url)
    printError("bench: figures written to \(url.path)")
  }

  private func waitForCard(in reader: String, logger: Logger) async throws {
    let system = PCSCCardReaderSystem(logger: logger)
    let deadline = Task {
      try await Task.sleep(for: .seconds(10))
    }
    for await event in system.events() {
      if case .cardInserted(reader, _) = event {
        deadline.cancel()
        return
      }
      if case .serviceUnavailable(let error) = event {
        printError("bench: \(error.message). Start pcscd first, or use hardware/bench/run.sh.")
        throw ExitCode(2)
      }
    }
  }
}

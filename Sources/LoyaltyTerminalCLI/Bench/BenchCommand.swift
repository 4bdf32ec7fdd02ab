import ArgumentParser
import CardEmulation
import CardReader
import Foundation
import Logging
import PCSCCardReader
import VirtualCard

/// `loyalty-terminal bench`: reader-layer benchmarks with their baselines from the same run.
struct BenchCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bench",
    abstract: "Benchmark the reader layer against a C libpcsclite client and pyscard, in one run.",
    discussion: """
      Needs pcscd running with vpcd (hardware/bench/run.sh starts and stops one). Presents a \
      virtual UID card on vpcd slot 0, then runs GET UID round trips through loyalty-terminal, \
      the C client and pyscard in interleaved rounds; then tap→ID on the simulated reader. \
      Prints a Markdown table and writes the figures as JSON.
      """)

  @Flag(help: "A short run (fewer exchanges and rounds).")
  var quick = false

  @Option(help: "GET UID exchanges per client per round.")
  var iterations: Int?

  @Option(help: "Rounds; the clients take turns in each.")
  var rounds: Int?

  @Flag(help: "Leave pyscard out.")
  var noPyscard = false

  @Option(help: "Where to write the JSON figures.")
  var jsonOut: String = "bench-results/reader.json"

  @Option(help: "Log level on stderr.")
  var logLevel: String = "warning"

  func validate() throws {
    if let iterations, iterations < 10 { throw ValidationError("--iterations must be at least 10") }
    if let rounds, rounds < 1 { throw ValidationError("--rounds must be at least 1") }
  }

  func run() async throws {
    let started = ContinuousClock.now
    let logger = try ReaderOptions.parse(["--log-level", logLevel]).makeLogger("bench")
    let bench = ReaderBenchmark(
      iterations: iterations ?? (quick ? 1_000 : 5_000), rounds: rounds ?? (quick ? 2 : 5),
      warmup: quick ? 100 : 500, includePyscard: !noPyscard, logger: logger)

    let reader = "Virtual PCD 00 00"
    let card = VirtualCard(
      card: UIDCard(uid: [0x04, 0xA1, 0xB2, 0xC3]), port: VirtualCard.port(forSlot: 0), logger: logger)
    do { try card.insert() } catch {
      printError("bench: \(error). Start pcscd first, or use hardware/bench/run.sh.")
      throw ExitCode(2)
    }
    defer { card.remove() }
    try await waitForCard(in: reader, logger: logger)

    var rows = try await bench.roundTrips(reader: reader)
    rows += try await bench.simulatedTaps(count: quick ? 2_000 : 20_000)
    let elapsed = ContinuousClock.now - started
    let peak = peakResidentKiB()

    print("| benchmark | samples | p50 ms | p99 ms | baseline | ratio p50 | ratio p99 | peak RSS |")
    print("|---|---:|---:|---:|---|---:|---:|---:|")
    for r in rows {
      print(
        "| \(r.name) | \(r.samples) | \(ms(r.p50Ns)) | \(ms(r.p99Ns)) | \(r.baseline) | \(r.ratioP50) | \(r.ratioP99) | \(r.peakRSSKiB.map { "\($0) KiB" } ?? "") |"
      )
    }
    print("")
    print(
      "loyalty-terminal peak RSS (whole bench process): \(peak) KiB; run took \(elapsed.formatted(.units(allowed: [.seconds], fractionalPart: .show(length: 1))))."
    )
    let goal = rows.first { $0.name.contains("loyalty-terminal (Swift)") }
    if let goal { print("Goal: our round trip ≤ 1.05× the C client's (p50). Measured: \(goal.ratioP50)×.") }

    struct Report: Codable {
      var date: String
      var quick: Bool
      var elapsedSeconds: Int64
      var peakRSSKiB: Int
      var rows: [ReaderBenchmark.Row]
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

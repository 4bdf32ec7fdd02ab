import CardEmulation
import CardIdentification
import CardReader
import Foundation
import Logging
import LoyaltyCLISupport
import LoyaltyTerminalCLI
import PCSCCardReader
import SimulatedCardReader
import VirtualCard

/// The reader-layer benchmarks: GET UID round trips over pcscd+vpcd through our layer, a plain
/// C libpcsclite client and pyscard, interleaved in rounds on the same virtual card; and tap→ID
/// on the in-process simulated reader against direct calls to the same emulated cards.
struct ReaderBenchmark {
  var iterations: Int
  var rounds: Int
  var warmup: Int
  var includePyscard: Bool
  var logger: Logger

  /// GET UID through every client, `rounds` times in turn.
  func roundTrips(reader: String) async throws -> [BenchRow] {
    let source = try RepositoryFile.locate("hardware/bench/pcsc_getuid.c").orThrow(
      "hardware/bench/pcsc_getuid.c not found (run from the checkout)")
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("loyalty-bench-\(getpid())")
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: scratch) }
    let cClient = ExternalClient(
      name: "C libpcsclite", executable: try await ExternalClient.compileC(source: source, into: scratch),
      arguments: [reader, "\(iterations)", "\(warmup)"])
    var pyClient: ExternalClient?
    if includePyscard, let script = RepositoryFile.locate("hardware/bench/pyscard_getuid.py") {
      pyClient = ExternalClient(
        name: "pyscard", executable: URL(fileURLWithPath: "/usr/bin/python3"),
        arguments: [script.path, reader, "\(iterations)", "\(warmup)"])
    }

    let system = PCSCCardReaderSystem(logger: logger)
    var ours = LatencySample()
    var c = LatencySample()
    var py = LatencySample()
    var cPeak = 0
    var pyPeak = 0
    for round in 1...rounds {
      // Ours: one session per round, as the C client connects once per run.
      // As the reader loop does: the exchanges run on the session's own thread.
      let session = try await system.connect(reader: reader)
      let iterations = self.iterations
      let warmup = self.warmup
      let mine = try await session.withPreferredExecutor { () async throws -> [Int64] in
        for _ in 0..<warmup { _ = try await session.transmit(.getUID) }
        var mine = [Int64]()
        mine.reserveCapacity(iterations)
        let clock = ContinuousClock()
        for _ in 0..<iterations {
          let start = clock.now
          let response = try await session.transmit(.getUID)
          mine.append((clock.now - start).nanoseconds)
          guard response.statusWord.isSuccess else {
            throw ExternalClient.Failure(description: "GET UID failed: \(response.statusWord)")
          }
        }
        return mine
      }
      await session.disconnect()
      ours.append(contentsOf: mine)
      let cRun = try await cClient.run()
      c.append(contentsOf: cRun.latencies)
      cPeak = max(cPeak, cRun.peakKiB)
      if let pyClient {
        let pyRun = try await pyClient.run()
        py.append(contentsOf: pyRun.latencies)
        pyPeak = max(pyPeak, pyRun.peakKiB)
      }
      printError("bench: round \(round)/\(rounds): ours p50 \(ms(LatencySample(mine).p50)) ms")
    }
    var rows: [BenchRow] = [
      BenchRow.latency(
        name: "GET UID via pcscd+vpcd: C libpcsclite (baseline)", samples: c.count, p50Ns: c.p50, p99Ns: c.p99,
        baseline: "-", ratioP50: "1.00", ratioP99: "1.00", peakRSSKiB: cPeak),
      BenchRow.latency(
        name: "GET UID via pcscd+vpcd: loyalty-terminal (Swift)", samples: ours.count, p50Ns: ours.p50, p99Ns: ours.p99,
        baseline: "C libpcsclite", ratioP50: ratio(ours.p50, c.p50), ratioP99: ratio(ours.p99, c.p99), peakRSSKiB: nil),
    ]
    if pyClient != nil {
      rows.append(
        BenchRow.latency(
          name: "GET UID via pcscd+vpcd: pyscard", samples: py.count, p50Ns: py.p50, p99Ns: py.p99,
          baseline: "C libpcsclite", ratioP50: ratio(py.p50, c.p50), ratioP99: ratio(py.p99, c.p99),
          peakRSSKiB: pyPeak))
    }
    return rows
  }

  /// Tap→ID on the simulated reader versus the same identification straight onto the card.
  func simulatedTaps(count: Int) async throws -> [BenchRow] {
    let identifier = CardIdentifier(profiles: CardProfiles.builtIn())
    let cards: [any EmulatedCard] = [
      LoyaltyAppletCard(number: "6280001234567895"), NDEFTagCard.text("4000001234567899"),
      UIDCard(uid: [0x04, 0xA1, 0xB2, 0xC3, 0xD4, 0xE5, 0xF6]),
    ]
    let system = SimulatedCardReaderSystem(readers: ["Sim"])
    let clock = ContinuousClock()
    var sim = [Int64]()
    var direct = [Int64]()
    sim.reserveCapacity(count)
    direct.reserveCapacity(count)
    for i in 0..<(count + warmup) {
      let card = cards[i % cards.count]
      system.insert(card, into: "Sim")
      let start = clock.now
      let session = try await system.connect(reader: "Sim")
      _ = try await identifier.identify(session)
      await session.disconnect()
      let tapped = clock.now - start
      system.remove(from: "Sim")

      let directStart = clock.now
      let straight = DirectCardSession(card)
      _ = try await identifier.identify(straight)
      let floor = clock.now - directStart
      if i >= warmup {
        sim.append(tapped.nanoseconds)
        direct.append(floor.nanoseconds)
      }
    }
    let s = LatencySample(sim)
    let d = LatencySample(direct)
    return [
      BenchRow.latency(
        name: "Tap→ID, identification straight onto emulated cards (baseline)", samples: d.count, p50Ns: d.p50,
        p99Ns: d.p99,
        baseline: "-", ratioP50: "1.00", ratioP99: "1.00", peakRSSKiB: nil),
      BenchRow.latency(
        name: "Tap→ID, in-process simulated reader", samples: s.count, p50Ns: s.p50, p99Ns: s.p99,
        baseline: "straight onto cards", ratioP50: ratio(s.p50, d.p50), ratioP99: ratio(s.p99, d.p99), peakRSSKiB: nil),
    ]
  }
}

extension Optional {
  func orThrow(_ message: String) throws -> Wrapped {
    guard let self else { throw ExternalClient.Failure(description: message) }
    return self
  }
}

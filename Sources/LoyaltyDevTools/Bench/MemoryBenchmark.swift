import CardEmulation
import CardIdentification
import CounterSimulation
import Foundation
import Logging
import LoyaltyCLISupport
import LoyaltyTerminalCLI
import SimulatedCardReader

/// Long runs with resident memory sampled: `watch`'s loop over many taps, and a chain simulation
/// over many days. Flat means the last sample is close to the one taken after warm-up.
struct MemoryBenchmark {
  var taps: Int
  var chainDays: Int
  var chainCardholders: Int
  var logger: Logger

  /// Resident memory now (VmRSS), KiB.
  static func residentKiB() -> Int { procStatusKiB("VmRSS") }

  func run() async throws -> [BenchRow] {
    [try await watchLoop(), try await chain()]
  }

  /// The live loop of `watch` (TapWatcher's event stream) over the simulated reader.
  func watchLoop() async throws -> BenchRow {
    let system = SimulatedCardReaderSystem(readers: ["Sim"])
    let watcher = TapWatcher(system: system, identifier: CardIdentifier(profiles: CardProfiles.builtIn()))
    var events = watcher.events().makeAsyncIterator()
    var samples: [Int] = []
    let clock = ContinuousClock()
    let start = clock.now
    for i in 0..<taps {
      let uid: [UInt8] = [0x04, UInt8(i >> 16 & 0xFF), UInt8(i >> 8 & 0xFF), UInt8(i & 0xFF), 0x11, 0x22, 0x33]
      system.insert(i % 3 == 0 ? LoyaltyAppletCard(number: "6280001234567895") : UIDCard(uid: uid), into: "Sim")
      while let event = await events.next() {
        if case .tap = event { break }
      }
      system.remove(from: "Sim")
      while let event = await events.next() {
        if case .status(.cardRemoved) = event { break }
      }
      if (i + 1) % (taps / 10) == 0 { samples.append(Self.residentKiB()) }
    }
    let elapsed = clock.now - start
    return flatness(
      name: "watch loop over \(taps) simulated taps", samples: samples, count: taps,
      rate: "\(Int64(taps) * 1_000_000_000 / max(1, elapsed.nanoseconds)) taps/s")
  }

  /// A chain simulation of many days, RSS sampled after every nightly sync.
  func chain() async throws -> BenchRow {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("loyalty-bench-chain-\(getpid())")
    defer { try? FileManager.default.removeItem(at: dir) }
    let traffic = ChainTraffic(terminals: 5, days: chainDays, cardholders: chainCardholders, seed: 1)
    var samples: [Int] = []
    let clock = ContinuousClock()
    let start = clock.now
    let summary = try await ChainSimulation(traffic: traffic).run(
      workdir: dir, logger: logger, progress: { _ in samples.append(Self.residentKiB()) })
    let elapsed = clock.now - start
    return flatness(
      name: "chain simulation: 5 terminals, \(chainDays) days, \(chainCardholders) cardholders", samples: samples,
      count: summary.events,
      rate: "\(Int64(summary.events) * 1_000_000_000 / max(1, elapsed.nanoseconds)) events/s, \(summary.checks) checks")
  }

  func flatness(name: String, samples: [Int], count: Int, rate: String) -> BenchRow {
    if ProcessInfo.processInfo.environment["LOYALTY_BENCH_SAMPLES"] != nil { printError("\(name): \(samples)") }
    let warm = samples[min(1, samples.count - 1)]
    let half = samples[samples.count / 2]
    let last = samples.last ?? 0
    return BenchRow(
      name: name, samples: count,
      result: "\(rate); RSS \(warm) KiB after warm-up (10 %), \(half) KiB at half way, \(last) KiB at the end",
      baseline: "RSS half way", ratio: ratio(Int64(last), Int64(half)), peakRSSKiB: samples.max(),
      metrics: ["warmKiB": Int64(warm), "halfKiB": Int64(half), "lastKiB": Int64(last), "count": Int64(count)])
  }
}

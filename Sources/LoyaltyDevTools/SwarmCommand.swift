import ArgumentParser
import CounterSimulation
import Foundation
import Logging
import LoyaltyCLISupport
import LoyaltyTerminalCLI

/// `loyalty-devtools swarm`: many small chains, each from one seed (its size, traffic mix and
/// fault plan), played through the firmware with the chain's invariants checked after every
/// night. A failure prints the seed and the command that replays it.
struct SwarmCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "swarm",
    abstract: "The chain swarm: many seeded chains with random traffic and faults; invariants after every night.",
    discussion: """
      Seeds --first …< --first + --seeds, plus --random fresh seeds (printed), or one --seed with its plan and \
      every event narrated (--verbose). Prints one summary line: seeds run, events, nights, invariant checks, \
      faults injected, refusals at the counter by reason; exits 1 when any seed fails, naming each.
      """)

  @Option(help: "How many consecutive seeds to run.") var seeds: Int = 20
  @Option(help: "The first of them.") var first: UInt64 = 1
  @Option(help: "Fresh random seeds to run besides (printed, so a failure replays).") var random: Int = 0
  @Option(help: "Run this one seed only.") var seed: UInt64?
  @Option(help: "Chains played at once.") var jobs: Int = 2
  @Flag(help: "Narrate every event (with --seed).") var verbose = false

  func validate() throws {
    guard (0...1_000_000).contains(seeds), (0...10_000).contains(random) else {
      throw ValidationError("--seeds must be 0-1000000 and --random 0-10000")
    }
    guard (1...16).contains(jobs) else { throw ValidationError("--jobs must be 1-16") }
  }

  func run() async throws {
    let started = ContinuousClock.now
    var list = seed.map { [$0] } ?? (0..<UInt64(seeds)).map { first &+ $0 }
    if seed == nil, random > 0 {
      var g = SystemRandomNumberGenerator()
      let fresh = (0..<random).map { _ in UInt64.random(in: 1_000_000...UInt64(Int64.max), using: &g) }
      emit("swarm: fresh seeds \(fresh.map(String.init).joined(separator: " "))")
      list += fresh
    }
    if let seed { emit("swarm: seed \(seed): \(ChainTraffic.swarm(seed: seed).planDescription)") }
    var total = ChainSimulation.Summary.zero
    var failures: [(UInt64, String)] = []
    let verbose = verbose && seed != nil
    try await withThrowingTaskGroup(of: (UInt64, Result<ChainSimulation.Summary, ChainSimulation.Failure>).self) {
      group in
      var next = list.makeIterator()
      func start() {
        guard let s = next.next() else { return }
        group.addTask { (s, await Self.play(seed: s, verbose: verbose)) }
      }
      for _ in 0..<jobs { start() }
      while let (s, result) = try await group.next() {
        switch result {
        case .success(let summary): total.add(summary)
        case .failure(let failure):
          failures.append((s, failure.message))
          emit("swarm: FAILED seed \(s): \(failure.message)")
          emit("  replay: loyalty-devtools swarm --seed \(s) --verbose")
        }
        start()
      }
    }
    let seconds = (ContinuousClock.now - started).components.seconds
    let faults = total.faults.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
    let reasons = total.refusals.sorted { $0.value > $1.value }.prefix(12).map { "\($0.value)× \($0.key)" }
    emit(
      "swarm: \(list.count) seeds, \(list.count - failures.count) green, \(failures.count) failed; \(total.events) "
        + "events, \(total.syncs) nights, \(total.checks) invariant checks, \(total.ledgerEntries) ledger entries; "
        + "faults: \(faults.isEmpty ? "none" : faults); \(seconds) s")
    let lookUps = total.lookUps.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
    emit("swarm: cards looked up at HQ: \(lookUps.isEmpty ? "none" : lookUps)")
    let refunds = total.refunds.sorted { $0.key > $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
    emit("swarm: refunds recorded: \(refunds.isEmpty ? "none" : refunds)")
    emit("swarm: refused at the counter: \(total.refused) — \(reasons.joined(separator: "; "))")
    if !failures.isEmpty {
      emit("swarm: failing seeds: \(failures.map { String($0.0) }.joined(separator: " "))")
      throw ExitCode(1)
    }
  }

  /// Plays one seed's chain in a directory of its own (kept when it fails).
  static func play(seed: UInt64, verbose: Bool) async -> Result<ChainSimulation.Summary, ChainSimulation.Failure> {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("loyalty-swarm-\(getpid())-\(seed)")
    var logger = Logger(label: "swarm")
    logger.logLevel = .critical
    let traffic = ChainTraffic.swarm(seed: seed)
    let transport = traffic.faults.viaHQService ? ServiceTransport(logger: logger) : nil
    do {
      let summary = try await ChainSimulation(traffic: traffic, transport: transport).run(
        workdir: directory, logger: logger, narrate: verbose ? { emit($0) } : nil)
      await transport?.stop()
      try? FileManager.default.removeItem(at: directory)
      return .success(summary)
    } catch let failure as ChainSimulation.Failure {
      await transport?.stop()
      return .failure(
        ChainSimulation.Failure(seed: seed, message: failure.message + " (files kept in \(directory.path))"))
    } catch {
      await transport?.stop()
      return .failure(ChainSimulation.Failure(seed: seed, message: "\(error) (files kept in \(directory.path))"))
    }
  }
}

extension ChainSimulation.Summary {
  mutating func add(_ other: Self) {
    events += other.events
    refused += other.refused
    syncs += other.syncs
    checks += other.checks
    ledgerEntries += other.ledgerEntries
    balances += other.balances
    refusals.merge(other.refusals, uniquingKeysWith: +)
    faults.merge(other.faults, uniquingKeysWith: +)
    lookUps.merge(other.lookUps, uniquingKeysWith: +)
    refunds.merge(other.refunds, uniquingKeysWith: +)
  }
}

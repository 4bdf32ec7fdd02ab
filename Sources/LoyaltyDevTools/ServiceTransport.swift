import CounterSimulation
import Foundation
import HQClient
import HQService
import HTTPRetry
import Hummingbird
import LedgerFormat
import LedgerStore
import Logging
import LoyaltyCLISupport
import NightlySync
import PointsCache

/// A simulated chain's nights through HQ's sync service: `hq serve`'s server in this process on
/// a loopback port, each counter syncing over HTTP with its signed requests, exactly as
/// `sync --hq` does. HQ's own acts (programs, registrations, expiry) still append to the file,
/// which the service reads in, as it does beside a running `hq serve`.
final class ServiceTransport: ChainTransport, @unchecked Sendable {
  private var server: Task<Void, any Error>?
  private var url: String?
  private let logger: Logger

  init(logger: Logger) { self.logger = logger }

  func sync(_ runner: ScenarioRunner, _ terminal: String) async throws {
    if url == nil { try await start(runner) }
    // Terminals sign by the simulation's clock, which HQ checks against: the chain's outcome never
    // depends on the day the swarm runs.
    let connection = try HQConnection(
      baseURL: url!, logger: logger, clock: { [clock = runner.clock] in clock.now },
      retry: RetryPolicy(waits: [.milliseconds(50), .milliseconds(200)]), timeout: .seconds(20))
    let sync = NightlySync(
      cache: runner.cache(terminal), connection: connection, terminal: terminal, key: runner.key(terminal))
    do {
      _ = try await sync.run(at: runner.now)
      await connection.close()
    } catch {
      await connection.close()
      throw error
    }
  }

  func lookUp(_ runner: ScenarioRunner, _ terminal: String, card: String) async throws -> LookUpOutcome {
    if url == nil { try await start(runner) }
    let connection = try HQConnection(
      baseURL: url!, logger: logger, clock: { [clock = runner.clock] in clock.now },
      retry: RetryPolicy(waits: [.milliseconds(50), .milliseconds(200)]), timeout: .seconds(20))
    let lookUp = CardLookUp(
      cache: try runner.cache(terminal), connection: connection, terminal: terminal, key: runner.key(terminal))
    do {
      let outcome = try await lookUp.run(card: card, at: runner.now)
      await connection.close()
      return outcome
    } catch {
      await connection.close()
      throw error
    }
  }

  func restartHQ(_ runner: ScenarioRunner) async throws {
    await stop()
    try await start(runner)
  }

  func stop() async {
    server?.cancel()
    _ = await server?.result
    server = nil
    url = nil
  }

  /// Starts the service on the runner's ledger and waits until it listens.
  private func start(_ runner: ScenarioRunner) async throws {
    let service = HQServer(
      ledger: try HQLedger(file: runner.ledgerFile, hqKey: runner.hqSigningKey, logger: logger), logger: logger,
      // HQ's clock is the simulation's, as the terminals' signatures are.
      clock: { [clock = runner.clock] in clock.now })
    let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
    let app = try service.application(host: "127.0.0.1", port: 0, maxConnections: 64) { port in continuation.yield(port)
    }
    server = Task { try await app.run() }
    var iterator = ports.makeAsyncIterator()
    guard let port = await iterator.next() else { throw CancellationError() }
    url = "http://127.0.0.1:\(port)"
  }
}

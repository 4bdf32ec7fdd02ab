import PointsCache

/// How a simulated chain's counters reach HQ at night. Without one, they sync through HQ's
/// ledger file (the embedded path); the swarm also plays chains through HQ's sync service
/// (`hq serve` in process, over loopback), whose module the simulation does not link.
public protocol ChainTransport: AnyObject {
  /// Syncs `terminal` with HQ at the runner's current time.
  func sync(_ runner: ScenarioRunner, _ terminal: String) async throws
  /// `terminal` looks `card` up at HQ (`CardLookUp`) at the runner's current time.
  func lookUp(_ runner: ScenarioRunner, _ terminal: String, card: String) async throws -> LookUpOutcome
  /// HQ's service stops and starts again on the same files (a restart, a deploy, a crash).
  func restartHQ(_ runner: ScenarioRunner) async throws
  /// Stops whatever the transport started.
  func stop() async
}

import CoreMetrics
import Foundation
import Metrics
import Prometheus
import Synchronization

/// What HQ's service counts, through swift-metrics (counters, gauges, a timer) into a Prometheus
/// registry of its own, shown at `GET /metrics` in Prometheus' text format: the ledger's size,
/// admissions (batches, entries appended and refused, their durations), downloads, snapshots,
/// requests refused before admission (bad signature, replay, unknown key), and each terminal's
/// traffic. The registry belongs to this service (no global `MetricsSystem.bootstrap`): several
/// services in one process (tests, the swarm) count apart. Also the health answer, from the
/// ledger's position and the writers' lock wait.
public final class HQMetrics: Sendable {
  /// The registry `GET /metrics` exports.
  public let registry: PrometheusCollectorRegistry
  let factory: any MetricsFactory

  let lastSeq: CoreMetrics.Gauge
  let entries: CoreMetrics.Gauge
  let batches: CoreMetrics.Counter
  let appended: CoreMetrics.Counter
  let refused: CoreMetrics.Counter
  let admissionTime: CoreMetrics.Timer
  let downloads: CoreMetrics.Counter
  let downloadBytes: CoreMetrics.Counter
  let snapshots: CoreMetrics.Counter

  /// One terminal's series, created together on its first request (so each shows, 0 if need be).
  struct TerminalMetrics: Sendable {
    let syncs: CoreMetrics.Counter
    let downloads: CoreMetrics.Counter
    let downloadBytes: CoreMetrics.Counter
    let batches: CoreMetrics.Counter
    let entries: CoreMetrics.Counter
    let lastSync: CoreMetrics.Gauge
  }

  /// What health reads: the ledger's position, and since when an admission (or a catch-up) has
  /// been waiting for the writers' lock.
  struct State {
    var lastSeq: Int64 = 0
    var entries = 0
    var offset = 0
    var waitingForLockSince: ContinuousClock.Instant?
  }

  private let state = Mutex(State())
  private let terminals = Mutex([String: TerminalMetrics]())
  private let refusals = Mutex([String: CoreMetrics.Counter]())

  /// How long a wait for the writers' lock may last before health says the service is stuck
  /// (an admission takes milliseconds; an HQ command holds the lock for seconds at most).
  static let lockWaitAlarm = Duration.seconds(5)

  /// - Parameter registry: where the metrics are kept and exported from (a new one by default).
  public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
    self.registry = registry
    let factory = PrometheusMetricsFactory(registry: registry)
    self.factory = factory
    lastSeq = CoreMetrics.Gauge(label: "loyalty_ledger_last_seq", factory: factory)
    entries = CoreMetrics.Gauge(label: "loyalty_ledger_entries", factory: factory)
    batches = CoreMetrics.Counter(label: "loyalty_admission_batches_total", factory: factory)
    appended = CoreMetrics.Counter(label: "loyalty_admission_entries_total", factory: factory)
    refused = CoreMetrics.Counter(label: "loyalty_admission_refused_total", factory: factory)
    admissionTime = CoreMetrics.Timer(label: "loyalty_admission_seconds", factory: factory)
    downloads = CoreMetrics.Counter(label: "loyalty_downloads_total", factory: factory)
    downloadBytes = CoreMetrics.Counter(label: "loyalty_download_bytes_total", factory: factory)
    snapshots = CoreMetrics.Counter(label: "loyalty_snapshots_total", factory: factory)
  }

  func set(lastSeq: Int64, entries: Int, offset: Int) {
    state.withLock {
      $0.lastSeq = lastSeq
      $0.entries = entries
      $0.offset = offset
    }
    self.lastSeq.record(lastSeq)
    self.entries.record(entries)
  }

  /// The health answer, without waiting for an admission under way: not ok while one has been
  /// waiting for the writers' lock longer than `lockWaitAlarm` (something else holds it).
  public var health: (ok: Bool, json: String) {
    let c = state.withLock { $0 }
    let position = #""lastSeq":\#(c.lastSeq),"entries":\#(c.entries),"offset":\#(c.offset)"#
    if let since = c.waitingForLockSince, case let waited = ContinuousClock.now - since, waited > Self.lockWaitAlarm {
      return (
        false,
        #"{"status":"waiting for the writers' lock","waitingSeconds":\#(waited.components.seconds),"#
          + #""lock":"another process holds the ledger's .lock file (an HQ command, or a stuck writer)",\#(position)}"#
      )
    }
    return (true, #"{"status":"ok",\#(position)}"#)
  }

  /// An admission starts waiting for the writers' lock (nil: it got it, or gave up).
  func waitingForLock(_ waiting: Bool) {
    state.withLock { $0.waitingForLockSince = waiting ? ContinuousClock.now : nil }
  }

  func admitted(entries: Int, refused: Int, duration: Duration) {
    batches.increment()
    appended.increment(by: entries)
    self.refused.increment(by: refused)
    admissionTime.record(duration: duration)
  }

  func downloaded(bytes: Int) {
    downloads.increment()
    downloadBytes.increment(by: bytes)
  }

  /// A terminal's series, created on its first request.
  func terminal(_ terminal: String) -> TerminalMetrics {
    terminals.withLock { known in
      if let metrics = known[terminal] { return metrics }
      let labels = [("terminal", terminal)]
      let metrics = TerminalMetrics(
        syncs: CoreMetrics.Counter(label: "loyalty_terminal_syncs_total", dimensions: labels, factory: factory),
        downloads: CoreMetrics.Counter(label: "loyalty_terminal_downloads_total", dimensions: labels, factory: factory),
        downloadBytes: CoreMetrics.Counter(
          label: "loyalty_terminal_download_bytes_total", dimensions: labels, factory: factory),
        batches: CoreMetrics.Counter(label: "loyalty_terminal_batches_total", dimensions: labels, factory: factory),
        entries: CoreMetrics.Counter(label: "loyalty_terminal_entries_total", dimensions: labels, factory: factory),
        lastSync: CoreMetrics.Gauge(
          label: "loyalty_terminal_last_sync_timestamp_seconds", dimensions: labels, factory: factory))
      known[terminal] = metrics
      return metrics
    }
  }

  /// A terminal asked for its checkpoint (every sync does, download-only or not) at `at`.
  func synced(terminal: String, at: Int64) {
    let metrics = self.terminal(terminal)
    metrics.syncs.increment()
    metrics.lastSync.record(at)
  }

  /// A terminal downloaded `bytes` of the ledger.
  func downloaded(bytes: Int, terminal: String) {
    let metrics = self.terminal(terminal)
    metrics.downloads.increment()
    metrics.downloadBytes.increment(by: bytes)
  }

  /// A terminal's batch was admitted, `entries` of it appended.
  func admitted(terminal: String, entries: Int) {
    let metrics = self.terminal(terminal)
    metrics.batches.increment()
    metrics.entries.increment(by: entries)
  }

  func servedSnapshot() { snapshots.increment() }

  /// A request refused before admission, by its code (`unsigned`, `replay`, `unknownKey`, …).
  func refusedRequest(_ reason: String) {
    refusals.withLock { known in
      if let counter = known[reason] { return counter }
      let counter = CoreMetrics.Counter(
        label: "loyalty_requests_refused_total", dimensions: [("reason", reason)], factory: factory)
      known[reason] = counter
      return counter
    }.increment()
  }

  /// The Prometheus text exposition.
  public var text: String { registry.emitToString() }
}

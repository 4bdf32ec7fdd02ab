import CoreMetrics
import Foundation
import LedgerFormat
import Metrics
import Prometheus
import Synchronization

/// What HQ's service counts, through swift-metrics (counters, gauges, a timer) into a Prometheus
/// registry of its own (`DescribedPrometheusFactory`), shown at `GET /metrics` in Prometheus' text format: the ledger's size,
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
  /// Epochs published, the accounts each re-hashed, and how long each took.
  let epochs: CoreMetrics.Counter
  let epochAccounts: CoreMetrics.Counter
  let epochTime: CoreMetrics.Timer
  let lookUps: CoreMetrics.Counter
  let lookUpsUnknown: CoreMetrics.Counter
  let lookUpsLimited: CoreMetrics.Counter

  /// One terminal's series, created together on its first request (so each shows, 0 if need be).
  struct TerminalMetrics: Sendable {
    let syncs: CoreMetrics.Counter
    let downloads: CoreMetrics.Counter
    let downloadBytes: CoreMetrics.Counter
    let batches: CoreMetrics.Counter
    let entries: CoreMetrics.Counter
    let lastSync: CoreMetrics.Gauge
    let lookUps: CoreMetrics.Counter
    let lookUpsUnknown: CoreMetrics.Counter
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
  private let regions = Mutex([String: (accounts: CoreMetrics.Gauge, liability: CoreMetrics.Gauge)]())

  /// How long a wait for the writers' lock may last before health says the service is stuck
  /// (an admission takes milliseconds; an HQ command holds the lock for seconds at most).
  static let lockWaitAlarm = Duration.seconds(5)

  /// - Parameter registry: where the metrics are kept and exported from (a new one by default).
  public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
    self.registry = registry
    let factory = DescribedPrometheusFactory(registry: registry, help: Self.help)
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
    epochs = CoreMetrics.Counter(label: "loyalty_state_epochs_total", factory: factory)
    epochAccounts = CoreMetrics.Counter(label: "loyalty_state_epoch_accounts_total", factory: factory)
    epochTime = CoreMetrics.Timer(label: "loyalty_state_epoch_seconds", factory: factory)
    lookUps = CoreMetrics.Counter(label: "loyalty_lookups_total", factory: factory)
    lookUpsUnknown = CoreMetrics.Counter(label: "loyalty_lookups_unknown_total", factory: factory)
    lookUpsLimited = CoreMetrics.Counter(label: "loyalty_lookups_limited_total", factory: factory)
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
          label: "loyalty_terminal_last_sync_timestamp_seconds", dimensions: labels, factory: factory),
        lookUps: CoreMetrics.Counter(label: "loyalty_terminal_lookups_total", dimensions: labels, factory: factory),
        lookUpsUnknown: CoreMetrics.Counter(
          label: "loyalty_terminal_lookups_unknown_total", dimensions: labels, factory: factory))
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

  /// A card looked up by `terminal` (`found`: HQ knew its account on the counter's basis).
  func lookedUp(found: Bool, terminal: String) {
    lookUps.increment()
    let mine = self.terminal(terminal)
    mine.lookUps.increment()
    if !found {
      lookUpsUnknown.increment()
      mine.lookUpsUnknown.increment()
    }
  }

  /// A look-up refused: its terminal was over its allowance.
  func lookUpLimited() { lookUpsLimited.increment() }

  /// An epoch published, having re-hashed `accounts` account states.
  func publishedEpoch(accounts: Int, duration: Duration) {
    epochs.increment()
    epochAccounts.increment(by: accounts)
    epochTime.record(duration: duration)
  }

  /// Each region's members and their points outstanding, at the epoch just published.
  func regions(_ parts: [String: StateEpoch.Region]) {
    for (name, part) in parts {
      let gauges = regions.withLock { known in
        if let gauges = known[name] { return gauges }
        let made = (
          accounts: CoreMetrics.Gauge(
            label: "loyalty_region_accounts", dimensions: [("region", name)], factory: factory),
          liability: CoreMetrics.Gauge(
            label: "loyalty_region_liability_points", dimensions: [("region", name)], factory: factory)
        )
        known[name] = made
        return made
      }
      gauges.accounts.record(part.accounts)
      gauges.liability.record(part.liability)
    }
  }

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

  /// Each metric's `# HELP` line.
  static let help: [String: String] = [
    "loyalty_ledger_last_seq": "Seq of the ledger's last sealed line.",
    "loyalty_ledger_entries": "Entries in the ledger (seals excluded).",
    "loyalty_admission_batches_total": "Batches admitted since the service started.",
    "loyalty_admission_entries_total": "Entries appended by admission.",
    "loyalty_admission_refused_total": "Entries the admission refused.",
    "loyalty_admission_seconds": "Time spent admitting batches.",
    "loyalty_downloads_total": "Ledger downloads served.",
    "loyalty_download_bytes_total": "Ledger bytes served.",
    "loyalty_snapshots_total": "Snapshots served.",
    "loyalty_lookups_total": "Cards looked up on demand by counters whose replica does not hold them.",
    "loyalty_lookups_unknown_total": "Cards looked up that no account held on the counter's basis.",
    "loyalty_lookups_limited_total": "Look-ups refused: the terminal was over its allowance a minute.",
    "loyalty_requests_refused_total": "Requests refused before admission, by reason.",
    "loyalty_terminal_syncs_total": "Syncs (checkpoints asked) per terminal.",
    "loyalty_terminal_downloads_total": "Ledger downloads per terminal.",
    "loyalty_terminal_download_bytes_total": "Ledger bytes per terminal.",
    "loyalty_terminal_batches_total": "Batches admitted per terminal.",
    "loyalty_terminal_entries_total": "Entries appended per terminal.",
    "loyalty_terminal_last_sync_timestamp_seconds": "When each terminal last synced (Unix seconds).",
    "loyalty_terminal_lookups_total": "Cards each terminal looked up.",
    "loyalty_terminal_lookups_unknown_total": "Cards each terminal looked up that no account held on its basis.",
    "loyalty_state_epochs_total": "Epochs of account states published.",
    "loyalty_state_epoch_accounts_total": "Account states re-hashed to publish epochs.",
    "loyalty_state_epoch_seconds": "Time spent publishing epochs.",
    "loyalty_region_accounts": "Members of each region (partial replicas) at the last epoch.",
    "loyalty_region_liability_points": "Points outstanding on each region's members at the last epoch.",
  ]
}

/// swift-metrics into a swift-prometheus registry, as `PrometheusMetricsFactory` does, with each
/// metric's `# HELP` line (that factory gives none): counters as counters, gauges and meters as
/// gauges, timers as histograms of seconds, aggregating recorders as histograms.
struct DescribedPrometheusFactory: MetricsFactory {
  let registry: PrometheusCollectorRegistry
  let help: [String: String]
  /// The buckets of a timer's histogram (an admission takes milliseconds).
  var durationBuckets: [Duration] = [
    .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
    .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5),
    .seconds(10),
  ]

  /// The metric's name (swift-metrics' label) with its help text.
  func named(_ label: String) -> MetricNameDescriptor {
    MetricNameDescriptor(metricName: label, unitName: "", helpText: help[label] ?? "")
  }

  func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
    registry.makeCounter(descriptor: named(label), labels: dimensions)
  }

  func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
    registry.makeCounter(descriptor: named(label), labels: dimensions)
  }

  func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
    registry.makeGauge(descriptor: named(label), labels: dimensions)
  }

  func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
    guard aggregate else { return registry.makeGauge(descriptor: named(label), labels: dimensions) }
    return registry.makeValueHistogram(
      descriptor: named(label), labels: dimensions, buckets: [0.001, 0.01, 0.1, 1, 10, 100, 1000])
  }

  func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
    registry.makeDurationHistogram(descriptor: named(label), labels: dimensions, buckets: durationBuckets)
  }

  func destroyCounter(_ handler: any CounterHandler) {
    if let counter = handler as? Prometheus.Counter { registry.unregisterCounter(counter) }
  }

  func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {
    if let counter = handler as? Prometheus.Counter { registry.unregisterCounter(counter) }
  }

  func destroyMeter(_ handler: any MeterHandler) {
    if let gauge = handler as? Prometheus.Gauge { registry.unregisterGauge(gauge) }
  }

  func destroyRecorder(_ handler: any RecorderHandler) {
    if let gauge = handler as? Prometheus.Gauge { registry.unregisterGauge(gauge) }
    if let histogram = handler as? ValueHistogram { registry.unregisterValueHistogram(histogram) }
  }

  func destroyTimer(_ handler: any TimerHandler) {
    if let histogram = handler as? DurationHistogram { registry.unregisterDurationHistogram(histogram) }
  }
}

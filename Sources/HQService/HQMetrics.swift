import Foundation
import Synchronization

/// What HQ's service counts, shown at `GET /metrics` in Prometheus' text format: the ledger's
/// size, admissions (batches, entries appended and refused, their durations), downloads, and
/// requests refused before admission (bad signature, replay, unknown key).
public final class HQMetrics: Sendable {
  struct Counts {
    var lastSeq: Int64 = 0
    var entries = 0
    var offset = 0
    var batches = 0
    var appended = 0
    var refused = 0
    var admissionSeconds = 0.0
    var downloads = 0
    var downloadBytes = 0
    var snapshots = 0
    var requestsRefused: [String: Int] = [:]
    /// Per terminal: its syncs, downloads, bytes, batches, and when it last synced.
    var terminals: [String: TerminalCounts] = [:]
    /// Since when an admission (or a catch-up) has been waiting for the writers' lock.
    var waitingForLockSince: ContinuousClock.Instant?
  }

  /// One terminal's traffic since the service started.
  struct TerminalCounts {
    var syncs = 0
    var downloads = 0
    var downloadBytes = 0
    var batches = 0
    var entries = 0
    var lastSync: Int64 = 0
  }

  /// How long a wait for the writers' lock may last before health says the service is stuck
  /// (an admission takes milliseconds; an HQ command holds the lock for seconds at most).
  static let lockWaitAlarm = Duration.seconds(5)

  private let counts = Mutex(Counts())

  init() {}

  func set(lastSeq: Int64, entries: Int, offset: Int) {
    counts.withLock {
      $0.lastSeq = lastSeq
      $0.entries = entries
      $0.offset = offset
    }
  }

  /// The health answer, without waiting for an admission under way: not ok while one has been
  /// waiting for the writers' lock longer than `lockWaitAlarm` (something else holds it).
  public var health: (ok: Bool, json: String) {
    let c = counts.withLock { $0 }
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
    counts.withLock { $0.waitingForLockSince = waiting ? ContinuousClock.now : nil }
  }

  func admitted(entries: Int, refused: Int, duration: Duration) {
    counts.withLock {
      $0.batches += 1
      $0.appended += entries
      $0.refused += refused
      $0.admissionSeconds += Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
  }

  func downloaded(bytes: Int) {
    counts.withLock {
      $0.downloads += 1
      $0.downloadBytes += bytes
    }
  }

  /// A terminal asked for its checkpoint (every sync does, download-only or not) at `at`.
  func synced(terminal: String, at: Int64) {
    counts.withLock {
      $0.terminals[terminal, default: .init()].syncs += 1
      $0.terminals[terminal, default: .init()].lastSync = at
    }
  }

  /// A terminal downloaded `bytes` of the ledger.
  func downloaded(bytes: Int, terminal: String) {
    counts.withLock {
      $0.terminals[terminal, default: .init()].downloads += 1
      $0.terminals[terminal, default: .init()].downloadBytes += bytes
    }
  }

  /// A terminal's batch was admitted, `entries` of it appended.
  func admitted(terminal: String, entries: Int) {
    counts.withLock {
      $0.terminals[terminal, default: .init()].batches += 1
      $0.terminals[terminal, default: .init()].entries += entries
    }
  }

  func servedSnapshot() { counts.withLock { $0.snapshots += 1 } }

  func refusedRequest(_ reason: String) { counts.withLock { $0.requestsRefused[reason, default: 0] += 1 } }

  /// The Prometheus text exposition.
  public var text: String {
    let c = counts.withLock { $0 }
    var out = """
      # HELP loyalty_ledger_last_seq Seq of the ledger's last sealed line.
      # TYPE loyalty_ledger_last_seq gauge
      loyalty_ledger_last_seq \(c.lastSeq)
      # HELP loyalty_ledger_entries Entries in the ledger (seals excluded).
      # TYPE loyalty_ledger_entries gauge
      loyalty_ledger_entries \(c.entries)
      # HELP loyalty_admission_batches_total Batches admitted since the service started.
      # TYPE loyalty_admission_batches_total counter
      loyalty_admission_batches_total \(c.batches)
      # HELP loyalty_admission_entries_total Entries appended by admission.
      # TYPE loyalty_admission_entries_total counter
      loyalty_admission_entries_total \(c.appended)
      # HELP loyalty_admission_refused_total Entries the admission refused.
      # TYPE loyalty_admission_refused_total counter
      loyalty_admission_refused_total \(c.refused)
      # HELP loyalty_admission_seconds Time spent admitting batches.
      # TYPE loyalty_admission_seconds summary
      loyalty_admission_seconds_sum \(c.admissionSeconds)
      loyalty_admission_seconds_count \(c.batches)
      # HELP loyalty_downloads_total Ledger downloads served.
      # TYPE loyalty_downloads_total counter
      loyalty_downloads_total \(c.downloads)
      # HELP loyalty_download_bytes_total Ledger bytes served.
      # TYPE loyalty_download_bytes_total counter
      loyalty_download_bytes_total \(c.downloadBytes)
      # HELP loyalty_snapshots_total Snapshots served.
      # TYPE loyalty_snapshots_total counter
      loyalty_snapshots_total \(c.snapshots)
      # HELP loyalty_requests_refused_total Requests refused before admission, by reason.
      # TYPE loyalty_requests_refused_total counter

      """
    for (reason, n) in c.requestsRefused.sorted(by: { $0.key < $1.key }) {
      out += "loyalty_requests_refused_total{reason=\"\(reason)\"} \(n)\n"
    }
    let terminals = c.terminals.sorted { $0.key < $1.key }
    let series: [(name: String, type: String, help: String, value: (TerminalCounts) -> String)] = [
      ("loyalty_terminal_syncs_total", "counter", "Syncs (checkpoints asked) per terminal.", { "\($0.syncs)" }),
      ("loyalty_terminal_downloads_total", "counter", "Ledger downloads per terminal.", { "\($0.downloads)" }),
      ("loyalty_terminal_download_bytes_total", "counter", "Ledger bytes per terminal.", { "\($0.downloadBytes)" }),
      ("loyalty_terminal_batches_total", "counter", "Batches admitted per terminal.", { "\($0.batches)" }),
      ("loyalty_terminal_entries_total", "counter", "Entries appended per terminal.", { "\($0.entries)" }),
      (
        "loyalty_terminal_last_sync_timestamp_seconds", "gauge", "When each terminal last synced (Unix seconds).",
        { "\($0.lastSync)" }
      ),
    ]
    for s in series {
      out += "# HELP \(s.name) \(s.help)\n# TYPE \(s.name) \(s.type)\n"
      for (terminal, t) in terminals { out += "\(s.name){terminal=\"\(terminal)\"} \(s.value(t))\n" }
    }
    return out
  }
}

import Foundation
import LoyaltyCore
import TestSupport
import Testing

/// `hq serve` as an operator sees it: every sync counted per terminal at /metrics (a
/// download-only one too), and a SIGHUP that does not end it.
@Suite("HQ service: per-terminal metrics and SIGHUP")
struct HQServeSignalsAndMetricsTests {
  /// A terminal's first sync sends nothing and downloads the ledger: /metrics counts it for that
  /// terminal (its sync, its download and bytes, when), and no batch.
  @Test func aDownloadOnlySyncIsCountedForItsTerminal() async throws {
    let f = try ChainFixture(terminals: 2)
    let hq = try await HQServiceProcess(
      ledger: f.ledger.path, hqKey: f.directory.appendingPathComponent("hq.key").path)
    defer { hq.stop() }
    let run = try f.syncChild("T01", hq.url, at: ChainFixture.start.adding(seconds: 60))
    #expect(run.status == 0, "\(run.errors)")
    let metrics = try HQServiceHostileTests.curl(hq.url + "/metrics", headers: [:])
    #expect(metrics.contains("loyalty_terminal_syncs_total{terminal=\"T01\"} 1"), "\(metrics)")
    #expect(metrics.contains("loyalty_terminal_downloads_total{terminal=\"T01\"} 1"), "\(metrics)")
    #expect(metrics.contains("loyalty_terminal_batches_total{terminal=\"T01\"} 0"), "\(metrics)")
    #expect(!metrics.contains("terminal=\"T02\""), "\(metrics)")
    let bytes = metrics.split(separator: "\n").first {
      $0.hasPrefix("loyalty_terminal_download_bytes_total{terminal=\"T01\"}")
    }
    #expect(bytes.flatMap { Int($0.split(separator: " ").last ?? "") }.map { $0 > 0 } == true, "\(metrics)")
    // A gauge: Prometheus' decimal (`1764547260.0`), not 0.
    let lastSync = metrics.split(separator: "\n").first {
      $0.hasPrefix("loyalty_terminal_last_sync_timestamp_seconds{terminal=\"T01\"}")
    }
    #expect(lastSync.flatMap { Double($0.split(separator: " ").last ?? "") }.map { $0 > 0 } == true, "\(metrics)")
  }

  /// SIGHUP: the service keeps answering; SIGTERM then ends it with status 0.
  @Test func sighupDoesNotEndTheService() async throws {
    let f = try ChainFixture(terminals: 1)
    let hq = try await HQServiceProcess(
      ledger: f.ledger.path, hqKey: f.directory.appendingPathComponent("hq.key").path)
    kill(hq.child.pid, SIGHUP)
    try await Task.sleep(for: .milliseconds(300))
    #expect(kill(hq.child.pid, 0) == 0, "hq serve died on SIGHUP")
    #expect(try HQServiceHostileTests.curl(hq.url + "/v1/health", headers: [:]).contains("\"status\":\"ok\""))
    #expect(hq.stop(SIGTERM) == 0)
  }
}

import Foundation
import HQClient
import HTTPRetry
import LedgerFormat
import Logging
import LoyaltyCLISupport
import LoyaltyCore
import TestSupport
import Testing

/// A state delta cut midway resumes where it stopped while HQ's epoch is the one it began on (the
/// rest of the same bytes, `206`), and starts afresh once HQ has published another (`200`).
@Suite("A cut state delta resumes")
struct ResumableDeltaTests {
  func downloaded(_ hq: HQServiceProcess) throws -> Int {
    let metrics = try runToCompletion("/usr/bin/curl", ["-s", hq.url + "/metrics"]).output
    let line = metrics.split(separator: "\n").first { $0.hasPrefix("loyalty_download_bytes_total ") }
    return line.flatMap { Double($0.split(separator: " ")[1]) }.map { Int($0) } ?? -1
  }

  func enrolAndSync(_ f: ChainFixture, _ hq: HQServiceProcess, cards: Range<Int>, day: Int) throws {
    let cache = try f.cache("T01")
    for i in cards {
      _ = try cache.enroll(
        card: ChainFixture.cards[i], referrer: nil, context: f.context("T01", Int64(day * 1_000 + i)))
    }
    let run = try f.syncChild("T01", hq.url, at: ChainFixture.start.adding(days: day + 1))
    #expect(run.status == 0, "\(run.errors)")
  }

  @Test func aCutDeltaResumesOnTheSameEpochAndStartsAfreshOnANewOne() async throws {
    let f = try ChainFixture(terminals: 2)
    let hq = try await HQServiceProcess(ledger: f.ledger.path, hqKey: f.directory.appendingPathComponent("hq.key").path)
    defer { hq.stop() }
    let first = try f.syncChild("T01", hq.url, at: ChainFixture.start.adding(seconds: 60))
    #expect(first.status == 0, "\(first.errors)")
    try enrolAndSync(f, hq, cards: 0..<12, day: 0)
    let connection = try HQConnection(
      baseURL: hq.url, logger: Logger(label: "test"), clock: { .wallClock }, retry: RetryPolicy(waits: []))
    let key = try LedgerKey.load(from: f.keyPath("T02"))
    let scratch = f.cachePath("T02") + ".state"
    _ = try await connection.stateDelta(since: 0, programChecksum: nil, terminal: "T02", key: key, scratch: scratch)
    let whole = try Data(contentsOf: URL(fileURLWithPath: scratch))
    #expect(whole.count > 1_000)
    #expect(try StateDeltaReader(path: scratch).header.states == 12)

    // Cut after 1 000 bytes: the next request asks for the rest, and gets exactly that.
    try whole.prefix(1_000).write(to: URL(fileURLWithPath: scratch))
    let before = try downloaded(hq)
    _ = try await connection.stateDelta(since: 0, programChecksum: nil, terminal: "T02", key: key, scratch: scratch)
    #expect(try Data(contentsOf: URL(fileURLWithPath: scratch)) == whole)
    #expect(try downloaded(hq) - before == whole.count - 1_000)

    // HQ admits more (a new epoch): the same bytes are no longer served; the whole new delta is.
    try enrolAndSync(f, hq, cards: 12..<14, day: 1)
    try whole.prefix(1_000).write(to: URL(fileURLWithPath: scratch))
    let again = try downloaded(hq)
    _ = try await connection.stateDelta(since: 0, programChecksum: nil, terminal: "T02", key: key, scratch: scratch)
    await connection.close()
    let fresh = try Data(contentsOf: URL(fileURLWithPath: scratch))
    #expect(try StateDeltaReader(path: scratch).header.states == 14)
    #expect(try downloaded(hq) - again == fresh.count)
  }
}

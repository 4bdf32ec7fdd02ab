import Foundation
import HQClient
import HTTPRetry
import LedgerFormat
import LedgerStore
import Logging
import LoyaltyCLISupport
import LoyaltyCore
import NightlySync
import PointsCache
import SyncProtocol
import TestSupport
import Testing

/// The service's faults: a lost answer retried, HQ killed at any instant, a cut upload or
/// download, a stalled client, fifty terminals at once.
@Suite("HQ's sync service under faults")
struct HQServiceFaultTests {
  static let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

  static func service(_ f: ChainFixture) async throws -> HQServiceProcess {
    try await HQServiceProcess(ledger: f.ledger.path, hqKey: f.directory.appendingPathComponent("hq.key").path)
  }

  static func ledgerBytes(_ f: ChainFixture) throws -> Data {
    try Data(contentsOf: URL(fileURLWithPath: f.ledger.path))
  }

  @Test func aRetryAfterALostAnswerGetsTheSameAnswerAndAppendsNothingTwice() async throws {
    let f = try ChainFixture(terminals: 1)
    let hq = try await Self.service(f)
    defer { hq.stop() }
    try await f.sync("T01", at: ChainFixture.start.adding(seconds: 60))
    _ = try f.cache("T01").enroll(card: ChainFixture.cards[0], referrer: nil, context: f.context("T01", 0))
    let outbox = try f.cache("T01").outbox()
    let state = try JSONDecoder().decode(
      LedgerVerifier.State.self, from: Data(try f.cache("T01").syncCheckpoint()!.utf8))
    let connection = try HQConnection(
      baseURL: hq.url, logger: Self.logger, clock: { .wallClock }, retry: RetryPolicy(waits: []))
    let key = try LedgerKey.load(from: f.keyPath("T01"))
    let at = ChainFixture.start.adding(days: 1).adding(seconds: 600)
    let first = try await connection.exchange(outbox, at: at, after: state, terminal: "T01", key: key, now: nil)
    let afterFirst = try Self.ledgerBytes(f)
    // The answer was lost: the terminal sends the same batch again.
    let second = try await connection.exchange(outbox, at: at, after: state, terminal: "T01", key: key, now: nil)
    await connection.close()
    #expect(first.answer == second.answer)
    #expect(first.answer?.appended == outbox.map(\.id))
    #expect(try Self.ledgerBytes(f) == afterFirst)
    #expect(first.checkpoint.isSigned(by: f.hq.publicKeyBase64))
  }

  /// HQ SIGKILLed at random instants while four terminals sync at once, then restarted; the
  /// terminals sync again until every outbox is empty. Nothing acknowledged is lost, nothing is
  /// appended twice, every cache equals the ledger's fold.
  @Test func hqKilledAtAnyInstantLosesNothingAcknowledgedAndAppendsNothingTwice() async throws {
    let terminals = ["T01", "T02", "T03", "T04"]
    let f = try ChainFixture(terminals: terminals.count)
    for t in terminals { try await f.sync(t, at: ChainFixture.start.adding(seconds: 60)) }
    for (i, t) in terminals.enumerated() {
      let cache = try f.cache(t)
      for n in 0..<3 {
        let card = ChainFixture.cards[i * 3 + n]
        _ = try cache.enroll(card: card, referrer: nil, context: f.context(t, Int64(n * 10)))
        _ = try cache.earn(
          card: card, lines: [PurchaseLine(category: "fresh", amount: 1_500)], receipt: "R\(n)",
          context: f.context(t, Int64(n * 10 + 5)))
      }
    }
    var generator = SeededGenerator(seed: 7)
    var round = 0
    var kills = 0
    while try terminals.contains(where: { try !f.cache($0).outbox().isEmpty }) || round < 8 {
      round += 1
      #expect(round < 30, "the terminals did not converge")
      if round >= 30 { break }
      let hq = try await Self.service(f)
      let at = ChainFixture.start.adding(days: 1).adding(seconds: 3_600 + Int64(round) * 60)
      let commands = terminals.map {
        (
          BuiltProducts.loyaltyTerminal,
          f.hqSyncArguments($0, hq.url, at: at) + ["--hq-attempts", "1", "--hq-timeout", "1"]
        )
      }
      let killer = Task.detached { [kill = round % 4 != 0, delay = Int.random(in: 0...80, using: &generator)] in
        guard kill else { return false }
        try? await Task.sleep(for: .milliseconds(delay))
        return hq.stop(SIGKILL) != nil
      }
      let runs = try runConcurrently(commands)
      if await killer.value { kills += 1 } else { hq.stop() }
      for run in runs where run.status != 0 {
        // A sync cut off by the kill fails with a message; it never half-applies.
        #expect(!run.errors.isEmpty)
      }
    }
    let (fold, summary) = try LedgerFold.fold(path: f.ledger.path)
    #expect(summary.excludedBatches == 0 && fold.audit.refusals.isEmpty)
    #expect(fold.audit.accepted == 2 * 3 * terminals.count)
    let expected = Dictionary(uniqueKeysWithValues: fold.balances.map { ($0.account, $0.balance) })
    for t in terminals {
      #expect(try f.cache(t).outbox().isEmpty)
      #expect(try f.balances(t) == expected, "\(t)")
    }
    print(
      "hq killed \(kills) times in \(round) rounds of 4 concurrent syncs: converged, \(fold.audit.accepted) entries")
  }

  @Test func aCutDownloadResumesWhereItStoppedAndACutUploadAppendsNothing() async throws {
    let f = try ChainFixture(terminals: 2)
    let hq = try await Self.service(f)
    defer { hq.stop() }
    try await f.sync("T01", at: ChainFixture.start.adding(seconds: 60))
    let t1 = try f.cache("T01")
    for i in 0..<10 {
      _ = try t1.enroll(card: ChainFixture.cards[i], referrer: nil, context: f.context("T01", Int64(i)))
    }
    try await f.sync("T01", at: ChainFixture.start.adding(days: 1).adding(seconds: 600))
    // T02's first download was cut after 1 000 bytes: the partial file is there.
    let connection = try HQConnection(
      baseURL: hq.url, logger: Self.logger, clock: { .wallClock }, retry: RetryPolicy(waits: []))
    let key = try LedgerKey.load(from: f.keyPath("T02"))
    let exchange = try await connection.exchange(
      [], at: ChainFixture.start.adding(days: 1), after: .init(), terminal: "T02", key: key, now: nil)
    let scratch = f.cachePath("T02") + ".download"
    let whole = try Self.ledgerBytes(f)
    let checkpoint = exchange.checkpoint
    try "\(checkpoint.from) \(checkpoint.offset) \(checkpoint.head)\n".write(
      toFile: scratch + ".range", atomically: true, encoding: .utf8)
    try whole.prefix(1_000).write(to: URL(fileURLWithPath: scratch))
    let bytes = try await connection.download(checkpoint, terminal: "T02", key: key, scratch: scratch)
    await connection.close()
    #expect(try Data(contentsOf: URL(fileURLWithPath: bytes.path)) == whole.prefix(checkpoint.offset))
    let metrics = try runToCompletion("/usr/bin/curl", ["-s", hq.url + "/metrics"]).output
    #expect(metrics.contains("loyalty_download_bytes_total \(checkpoint.offset - 1_000)\n"), "\(metrics)")

    // An upload cut halfway: HQ drops it, nothing appended; T02's next sync works.
    let before = try Self.ledgerBytes(f)
    let cut = try runToCompletion(
      "/bin/sh",
      [
        "-c",
        "printf 'POST /v1/batches HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: 5000\\r\\n\\r\\n{\"batch\":' "
          + "| timeout 2 /usr/bin/curl -s telnet://\(hq.url.dropFirst("http://".count)) >/dev/null; true",
      ])
    #expect(cut.status == 0)
    #expect(try Self.ledgerBytes(f) == before)
    let run = try f.syncChild("T02", hq.url, at: ChainFixture.start.adding(days: 1).adding(seconds: 900))
    #expect(run.status == 0, "\(run.errors)")
    #expect(try f.balances("T02").count == 10)
  }

  @Test func aStalledClientDoesNotHoldOthersUp() async throws {
    let f = try ChainFixture(terminals: 1)
    let hq = try await Self.service(f)
    defer { hq.stop() }
    // A client that sends half a request and then nothing.
    let port = Int(hq.url.split(separator: ":").last!)!
    let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(socketFD) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        connect(socketFD, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
      }
    }
    #expect(connected == 0)
    let partial = "POST /v1/batches HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n{"
    _ = partial.withCString { send(socketFD, $0, strlen($0), 0) }
    let began = ContinuousClock.now
    let run = try f.syncChild("T01", hq.url, at: ChainFixture.start.adding(seconds: 60))
    #expect(run.status == 0, "\(run.errors)")
    #expect(ContinuousClock.now - began < .seconds(20))
  }

  @Test func fiftyTerminalsSyncAtOnce() async throws {
    let count = 50
    let f = try ChainFixture(terminals: count)
    let hq = try await Self.service(f)
    defer { hq.stop() }
    let first = try runConcurrently(
      f.terminals.map {
        (
          BuiltProducts.loyaltyTerminal,
          f.hqSyncArguments($0, hq.url, at: ChainFixture.start.adding(seconds: 60))
        )
      })
    #expect(first.allSatisfy { $0.status == 0 }, "\(first.first { $0.status != 0 }?.errors ?? "")")
    for (i, t) in f.terminals.enumerated() {
      let card = String(ChainFixture.cards[0].prefix(6)) + String(format: "%09d", 1_000 + i)
      _ = try f.cache(t).enroll(
        card: card + String(LoyaltyNumber.checkDigit(for: card.utf8.map { $0 - 0x30 })), referrer: nil,
        context: f.context(t, 0))
    }
    let at = ChainFixture.start.adding(days: 1).adding(seconds: 3_600)
    let runs = try runConcurrently(
      f.terminals.map { (BuiltProducts.loyaltyTerminal, f.hqSyncArguments($0, hq.url, at: at)) })
    #expect(runs.allSatisfy { $0.status == 0 }, "\(runs.first { $0.status != 0 }?.errors ?? "")")
    let (fold, _) = try LedgerFold.fold(path: f.ledger.path)
    #expect(fold.audit.accepted == count)
    // A second round: every terminal learns every other's enrolment.
    let again = try runConcurrently(
      f.terminals.map {
        (BuiltProducts.loyaltyTerminal, f.hqSyncArguments($0, hq.url, at: at.adding(seconds: 600)))
      })
    #expect(again.allSatisfy { $0.status == 0 })
    for t in ["T01", "T25", "T50"] { #expect(try f.cache(t).balances().count == count, "\(t)") }
  }
}

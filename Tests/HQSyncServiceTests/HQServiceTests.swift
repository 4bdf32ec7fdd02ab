import Foundation
import LedgerFormat
import LedgerStore
import LoyaltyCore
import NightlySync
import PointsCache
import SyncProtocol
import TestSupport
import Testing

/// HQ's sync service and terminals as separate processes on loopback: `loyalty-terminal hq
/// serve` and `loyalty-terminal sync --hq`, on real files.
@Suite("HQ's sync service")
struct HQServiceTests {
  /// `loyalty-terminal sync --hq` for `t` as a child process.
  /// A day of two shops: enrolments, earns, a provisional earn, a cross-shop refund; every sync
  /// through `sync`.
  static func traffic(_ f: ChainFixture, sync: (String, UTCInstant) async throws -> Void) async throws {
    let day1 = ChainFixture.start.adding(days: 1)
    for t in ["T01", "T02"] { try await sync(t, ChainFixture.start.adding(seconds: 60)) }
    let t1 = try f.cache("T01")
    let t2 = try f.cache("T02")
    for i in 0..<3 {
      _ = try t1.enroll(card: ChainFixture.cards[i], referrer: nil, context: f.context("T01", Int64(i * 10)))
      _ = try t1.earn(
        card: ChainFixture.cards[i], lines: [PurchaseLine(category: "fresh", amount: 2_000 + Int64(i) * 1_000)],
        receipt: "R\(i)", context: f.context("T01", Int64(i * 10 + 5)))
      _ = try t2.enroll(card: ChainFixture.cards[i + 3], referrer: nil, context: f.context("T02", Int64(i * 10)))
    }
    // T01's new customer buys at T02 before T02 has synced: a provisional earn.
    _ = try t2.earn(
      card: ChainFixture.cards[0], lines: [PurchaseLine(category: "fresh", amount: 1_500)], receipt: "R8",
      provisional: true, context: f.context("T02", 40))
    try await sync("T01", day1.adding(seconds: 3_600))
    try await sync("T02", day1.adding(seconds: 3_700))
    try await sync("T01", day1.adding(seconds: 3_800))
    // T02 now knows T01's customers: an earn there and a refund of a T01 receipt.
    _ = try t2.earn(
      card: ChainFixture.cards[0], lines: [PurchaseLine(category: "fuel", amount: 5_000)], receipt: "R9",
      context: f.context("T02", 4_000))
    _ = try t2.refund(
      receipt: "T01/R1", amount: 1_000, card: ChainFixture.cards[1], context: f.context("T02", 4_100))
    try await sync("T02", day1.adding(seconds: 7_200))
    try await sync("T01", day1.adding(seconds: 7_300))
  }

  @Test func twoTerminalsConvergeThroughTheServiceExactlyAsThroughTheFile() async throws {
    let overFile = try ChainFixture(terminals: 2)
    try await Self.traffic(overFile) { t, at in try await overFile.sync(t, at: at) }

    let overService = try ChainFixture(terminals: 3)
    let hq = try await HQServiceProcess(
      ledger: overService.ledger.path, hqKey: overService.directory.appendingPathComponent("hq.key").path)
    try await Self.traffic(overService) { t, at in
      let run = try overService.syncChild(t, hq.url, at: at)
      #expect(run.status == 0, "\(t): \(run.errors)")
    }
    // A third counter joins from HQ's signed snapshot, fetched from the service.
    let joined = try runToCompletion(
      BuiltProducts.loyaltyTerminal,
      overService.hqSyncArguments("T03", hq.url, at: ChainFixture.start.adding(days: 2)) + ["--snapshot-from-hq"])
    #expect(joined.status == 0, "\(joined.errors)")
    #expect(hq.stop() == 0)  // SIGTERM: a graceful exit

    let (fileFold, _) = try LedgerFold.fold(path: overFile.ledger.path)
    let (serviceFold, summary) = try LedgerFold.fold(path: overService.ledger.path)
    #expect(summary.excludedBatches == 0 && serviceFold.audit.refusals.isEmpty)
    #expect(fileFold.audit.accepted == serviceFold.audit.accepted)
    let expected = Dictionary(uniqueKeysWithValues: fileFold.balances.map { ($0.account, $0.balance) })
    #expect(!expected.isEmpty && expected.values.contains { $0 > 0 })
    #expect(Dictionary(uniqueKeysWithValues: serviceFold.balances.map { ($0.account, $0.balance) }) == expected)
    #expect(try overService.balances("T03") == expected, "T03, joined from the snapshot")
    for t in ["T01", "T02"] {
      #expect(try overService.balances(t) == expected, "\(t)'s cache over the service")
      #expect(try overFile.balances(t) == expected, "\(t)'s cache over the file")
      #expect(try overService.cache(t).outbox().isEmpty)
      #expect(try overService.cache(t).consistencyProblems().isEmpty)
    }
  }

  @Test func aReplayAnUnknownKeyAndARevokedTerminalAreRefusedAndNothingIsAppended() async throws {
    let f = try ChainFixture(terminals: 2)
    let hqKey = f.directory.appendingPathComponent("hq.key").path
    let hq = try await HQServiceProcess(ledger: f.ledger.path, hqKey: hqKey)
    defer { hq.stop() }
    let t1Key = try LedgerKey.load(from: f.keyPath("T01"))
    // The same signed request twice: the second is a replay.
    let path = "/v1/checkpoint"
    let query = "?from=0&seq=0&lines=0"
    let digest = MessageSignature.contentDigest(of: Data())
    let signature = MessageSignature(
      method: "GET", path: path, query: query, contentDigest: digest, created: Int64(Date().timeIntervalSince1970),
      keyID: "T01", nonce: MessageSignature.makeNonce())
    func curl(_ signature: MessageSignature, key: LedgerKey) throws -> String {
      try runToCompletion(
        "/usr/bin/curl",
        [
          "-s", "-w", "\n%{http_code}", "-H", "Content-Digest: \(digest)", "-H",
          "Signature-Input: \(signature.signatureInput)", "-H", "Signature: \(signature.signature(with: key))",
          hq.url + path + query,
        ]
      ).output
    }
    #expect(try curl(signature, key: t1Key).hasSuffix("\n200"))
    let replay = try curl(signature, key: t1Key)
    #expect(replay.hasSuffix("\n401") && replay.contains("replay"), "\(replay)")
    // Signed by a key HQ never registered, in T01's name and in an unknown terminal's name.
    let stranger = try LedgerKey.generate(at: f.directory.appendingPathComponent("stranger.key").path)
    var forged = signature
    forged.nonce = MessageSignature.makeNonce()
    #expect(try curl(forged, key: stranger).contains("does not verify"))
    forged.keyID = "T99"
    forged.nonce = MessageSignature.makeNonce()
    #expect(try curl(forged, key: stranger).contains("not registered"))

    // T02 recorded an enrolment, then HQ revoked it: its sync is refused, nothing appended.
    try await f.sync("T02", at: ChainFixture.start.adding(seconds: 60))
    _ = try f.cache("T02").enroll(card: ChainFixture.cards[0], referrer: nil, context: f.context("T02", 0))
    let revoke = try runToCompletion(
      BuiltProducts.loyaltyHQ, ["ledger", "revoke-terminal", "T02", "--ledger", f.ledger.path, "--hq-key", hqKey])
    #expect(revoke.status == 0, "\(revoke.errors)")
    let before = try Data(contentsOf: URL(fileURLWithPath: f.ledger.path))
    let refused = try f.syncChild("T02", hq.url, at: ChainFixture.start.adding(days: 1).adding(seconds: 600))
    #expect(refused.status == 1 && refused.errors.contains("not registered"), "\(refused.errors)")
    #expect(try Data(contentsOf: URL(fileURLWithPath: f.ledger.path)) == before)
    #expect(try f.cache("T02").outbox().count == 1)
    // The stranger's key file for T01: refused, nothing appended.
    let wrongKey = try f.syncChild(
      "T01", hq.url, at: ChainFixture.start.adding(seconds: 60),
      key: f.directory.appendingPathComponent("stranger.key").path)
    #expect(wrongKey.status == 1 && wrongKey.errors.contains("does not verify"), "\(wrongKey.errors)")
    #expect(try Data(contentsOf: URL(fileURLWithPath: f.ledger.path)) == before)
  }
}

/// What an attacker tried against the service (a helper's findings, kept as tests): numbers at
/// the edge of Int64, bodies before a signature, another terminal's batch id, a replay after a
/// restart. Each is refused and HQ stays up.
@Suite("HQ's sync service against hostile requests")
struct HQServiceHostileTests {
  static func curl(_ url: String, headers: [String: String], body: Data? = nil, method: String = "GET") throws
    -> String
  {
    var arguments = ["-s", "-m", "10", "-w", "\n%{http_code}", "-X", method]
    for (name, value) in headers { arguments += ["-H", "\(name): \(value)"] }
    if let body {
      let file = FileManager.default.temporaryDirectory.appendingPathComponent("body-\(UUID().uuidString)")
      try body.write(to: file)
      arguments += ["--data-binary", "@\(file.path)"]
    }
    return try runToCompletion("/usr/bin/curl", arguments + [url]).output
  }

  static func signed(
    _ method: String, _ path: String, query: String = "", body: Data, key: LedgerKey, as terminal: String,
    created: Int64 = Int64(Date().timeIntervalSince1970), nonce: String = MessageSignature.makeNonce()
  ) -> [String: String] {
    let digest = MessageSignature.contentDigest(of: body)
    let signature = MessageSignature(
      method: method, path: path, query: query, contentDigest: digest, created: created, keyID: terminal, nonce: nonce)
    return [
      "Content-Digest": digest, "Signature-Input": signature.signatureInput,
      "Signature": signature.signature(with: key),
    ]
  }

  @Test func edgeNumbersForeignBatchIDsAndAReplayAfterARestartAreRefused() async throws {
    let f = try ChainFixture(terminals: 2)
    let hqKey = f.directory.appendingPathComponent("hq.key").path
    var hq = try await HQServiceProcess(ledger: f.ledger.path, hqKey: hqKey)
    let t1 = try LedgerKey.load(from: f.keyPath("T01"))
    // A creation time of Int64.min, unsigned by anyone: refused, HQ up.
    let edge = Self.signed("GET", "/v1/snapshot", body: Data(), key: t1, as: "T01", created: .min)
    #expect(try Self.curl(hq.url + "/v1/snapshot", headers: edge).hasSuffix("401"))
    #expect(try Self.curl(hq.url + "/v1/health", headers: [:]).contains("\"status\":\"ok\""))
    // An unsigned 40 MB body is refused before it is read.
    let big = try Self.curl(hq.url + "/v1/batches", headers: [:], body: Data(count: 40 << 20), method: "POST")
    #expect(big.hasSuffix("401"), "\(big.suffix(200))")
    // A batch dated Int64.min, signed by T01: refused with the reason, nothing appended, HQ up.
    let before = try Data(contentsOf: URL(fileURLWithPath: f.ledger.path))
    let entry = Entry(
      kind: .enroll, id: "x", at: ChainFixture.start, terminal: "T01", account: "acct-x", card: ChainFixture.cards[0])
    var submission = Submission(terminal: "T01", at: ChainFixture.start, since: 0, entries: [entry])
    submission.at = .min
    submission.batch = Submission(terminal: "T01", at: UTCInstant(seconds: .min), since: 0, entries: [entry]).batch
    var body = try JSONEncoder().encode(submission)
    var headers = Self.signed("POST", "/v1/batches", body: body, key: t1, as: "T01")
    headers["Idempotency-Key"] = submission.batch
    headers["Content-Type"] = "application/json"
    let dated = try Self.curl(hq.url + "/v1/batches", headers: headers, body: body, method: "POST")
    #expect(dated.hasSuffix("400") && dated.contains("outside 2000"), "\(dated)")
    // Another terminal's batch (T02's entries, T02's batch id) sent by T01: refused.
    let t02Batch = Submission(
      terminal: "T02", at: ChainFixture.start, since: 0,
      entries: [Entry(kind: .enroll, id: "y", at: ChainFixture.start, terminal: "T02", account: "acct-y")])
    body = try JSONEncoder().encode(t02Batch)
    headers = Self.signed("POST", "/v1/batches", body: body, key: t1, as: "T01")
    headers["Idempotency-Key"] = t02Batch.batch
    #expect(try Self.curl(hq.url + "/v1/batches", headers: headers, body: body, method: "POST").hasSuffix("403"))
    #expect(try Data(contentsOf: URL(fileURLWithPath: f.ledger.path)) == before)

    // A request captured before a restart is still a replay after it.
    let captured = Self.signed(
      "GET", "/v1/checkpoint", query: "?from=0&seq=0&lines=0", body: Data(), key: t1, as: "T01")
    #expect(try Self.curl(hq.url + "/v1/checkpoint?from=0&seq=0&lines=0", headers: captured).hasSuffix("200"))
    hq.stop()
    hq = try await HQServiceProcess(ledger: f.ledger.path, hqKey: hqKey)
    defer { hq.stop() }
    let replay = try Self.curl(hq.url + "/v1/checkpoint?from=0&seq=0&lines=0", headers: captured)
    #expect(replay.hasSuffix("401") && replay.contains("replay"), "\(replay)")
  }
}

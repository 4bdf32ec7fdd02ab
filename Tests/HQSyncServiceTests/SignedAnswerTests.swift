import Foundation
import GRDB
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

/// An on-path proxy in front of a real HQ service: it forwards everything, then hands the
/// terminal HQ's answer passed through `rewrite` (the real answer, signature and all, when it
/// returns it as is). Each answer it passes on is written to `record`, one JSON line each.
struct AnswerRewritingConnection: LedgerConnection {
  let real: HQConnection
  let rewrite: @Sendable (SubmissionAnswer) -> SubmissionAnswer
  var record: String? = nil

  var location: String { "a proxy in front of \(real.location)" }
  var signsCheckpoints: Bool { real.signsCheckpoints }

  func exchange(
    _ outbox: [Entry], at: UTCInstant, after state: LedgerVerifier.State, terminal: String, key: LedgerKey,
    now: UTCInstant?
  ) async throws -> SyncExchange {
    var exchange = try await real.exchange(outbox, at: at, after: state, terminal: terminal, key: key, now: now)
    exchange.answer = exchange.answer.map(rewrite)
    if let record, let answer = exchange.answer {
      var line = try JSONEncoder().encode(answer)
      line.append(0x0A)
      try line.write(to: URL(fileURLWithPath: record))
    }
    return exchange
  }

  func download(_ checkpoint: SyncCheckpoint, terminal: String, key: LedgerKey, scratch: String) async throws
    -> LedgerBytes
  {
    try await real.download(checkpoint, terminal: terminal, key: key, scratch: scratch)
  }

  func stateDelta(since: Int64, programChecksum: String?, terminal: String, key: LedgerKey, scratch: String)
    async throws -> String
  {
    try await real.stateDelta(
      since: since, programChecksum: programChecksum, terminal: terminal, key: key, scratch: scratch)
  }

  func lookUp(card: String, basis: Int64, terminal: String, key: LedgerKey) async throws -> AccountLookup {
    try await real.lookUp(card: card, basis: basis, terminal: terminal, key: key)
  }
}

/// HQ signs its answers; a terminal believes a refusal only from an answer HQ's key signed, and
/// never follows a redirect away from HQ.
@Suite("HQ's answers are signed and a terminal believes only those")
struct SignedAnswerTests {
  /// The night after `ChainFixture.context`'s day of sales.
  static let day1 = ChainFixture.start.adding(days: 1).adding(seconds: 3_600)

  /// A chain whose T01 synced once through a real `hq serve` (HQ's key pinned), then recorded an
  /// enrolment and an earn.
  struct Served {
    let f: ChainFixture
    let hq: HQServiceProcess
    let outbox: [Entry]

    init() async throws {
      f = try ChainFixture(terminals: 1)
      hq = try await HQServiceProcess(
        ledger: f.ledger.path, hqKey: f.directory.appendingPathComponent("hq.key").path)
      let first = try f.syncChild("T01", hq.url, at: ChainFixture.start.adding(seconds: 60))
      #expect(first.status == 0, "\(first.errors)")
      let cache = try f.cache("T01")
      _ = try cache.enroll(card: ChainFixture.cards[0], referrer: nil, context: f.context("T01", 0))
      _ = try cache.earn(
        card: ChainFixture.cards[0], lines: [PurchaseLine(category: "fresh", amount: 2_000)], receipt: "R1",
        context: f.context("T01", 60))
      outbox = try cache.outbox()
    }

    func sync(through rewrite: @escaping @Sendable (SubmissionAnswer) -> SubmissionAnswer, record: String? = nil)
      async throws -> SyncSummary
    {
      let remote = try HQConnection(
        baseURL: hq.url, logger: Logger(label: "test"), clock: { .wallClock }, retry: RetryPolicy(waits: []))
      let proxy = AnswerRewritingConnection(real: remote, rewrite: rewrite, record: record)
      let sync = NightlySync(
        cache: try f.cache("T01"), connection: proxy, terminal: "T01", key: try LedgerKey.load(from: f.keyPath("T01")))
      do {
        let summary = try await sync.run(at: day1)
        await remote.close()
        return summary
      } catch {
        await remote.close()
        throw error
      }
    }

    /// How many of T01's entries its cache keeps as refused by HQ.
    func refusedInCache() throws -> Int {
      let queue = try DatabaseQueue(path: f.cachePath("T01"))
      return try queue.inDatabase {
        try Int.fetchOne($0, sql: "SELECT count(*) FROM refusal") ?? -1
      }
    }

    func ledgerHolds(_ ids: [String]) throws -> Bool {
      let (fold, _) = try LedgerFold.fold(path: f.ledger.path)
      return ids.allSatisfy { fold.audit.contains(id: $0) }
    }
  }

  /// The proxy forwards the batch, then rewrites HQ's real signed answer to "refused": nothing
  /// of it is believed, the sync fails with one line, and the next honest sync has them synced.
  @Test func aRewrittenRefusalIsNotBelievedAndTheEntriesStayInTheOutbox() async throws {
    let s = try await Served()
    defer { s.hq.stop() }
    var failure = ""
    do {
      let summary = try await s.sync(through: { answer in
        var forged = answer
        forged.refused = (answer.appended + answer.held).map { .init(id: $0, reason: "forged by the proxy") }
        forged.appended = []
        forged.held = []
        return forged
      })
      Issue.record("a forged refusal was believed: \(summary.refusedByHQ)")
    } catch { failure = "\(error)" }
    #expect(
      failure.hasPrefix("HQ's answer to batch ")
        && failure.hasSuffix(
          "… is not signed by HQ's key: nothing marked refused; the entries stay in the outbox (is something "
            + "between this counter and HQ? use https)"),
      "\(failure)")
    #expect(try s.f.cache("T01").outbox().map(\.id) == s.outbox.map(\.id), "honest entries left the outbox")
    #expect(try s.refusedInCache() == 0)
    // The next honest sync: read back from the ledger (HQ did admit them), out of the outbox.
    let honest = try s.f.syncChild("T01", s.hq.url, at: Self.day1.adding(seconds: 600))
    #expect(honest.status == 0, "\(honest.errors)")
    #expect(try s.f.cache("T01").outbox().isEmpty)
    #expect(try s.refusedInCache() == 0)
    #expect(try s.ledgerHolds(s.outbox.map(\.id)))
  }

  /// A forged line in HQ's answers file claims the batch refused: HQ does not give it back (it
  /// is not signed by its key), admits the batch, and the terminal marks nothing refused.
  @Test func aForgedStoredRefusalHasNoEffect() async throws {
    let f = try ChainFixture(terminals: 1)
    try await f.sync("T01", at: ChainFixture.start.adding(seconds: 60))
    let cache = try f.cache("T01")
    _ = try cache.enroll(card: ChainFixture.cards[0], referrer: nil, context: f.context("T01", 0))
    let outbox = try cache.outbox()
    let state = try JSONDecoder().decode(LedgerVerifier.State.self, from: Data(try cache.syncCheckpoint()!.utf8))
    let batch = Submission(terminal: "T01", at: Self.day1, since: state.offset, entries: outbox).batch
    let forged = SubmissionAnswer(
      batch: batch, appended: [], held: [], refused: outbox.map { .init(id: $0.id, reason: "forged in the file") })
    var line = try JSONEncoder().encode(forged)
    line.append(0x0A)
    try line.write(to: URL(fileURLWithPath: f.ledger.path + ".answers"))
    let hq = try await HQServiceProcess(ledger: f.ledger.path, hqKey: f.directory.appendingPathComponent("hq.key").path)
    defer { hq.stop() }
    let run = try f.syncChild("T01", hq.url, at: Self.day1)
    #expect(run.status == 0, "\(run.output)\(run.errors)")
    #expect(!run.output.contains("refused by HQ"), "\(run.output)")
    #expect(try cache.outbox().isEmpty)
    let (fold, _) = try LedgerFold.fold(path: f.ledger.path)
    #expect(fold.audit.contains(id: outbox[0].id), "HQ gave back a forged stored answer")
  }

  /// HQ's real stored answer, edited in the file to say "refused" (its signature kept): HQ's
  /// retry of the same batch does not give it back.
  @Test func anEditedStoredAnswerIsNotGivenBack() async throws {
    let s = try await Served()
    let hqKey = s.f.directory.appendingPathComponent("hq.key").path
    let key = try LedgerKey.load(from: s.f.keyPath("T01"))
    let state = try JSONDecoder().decode(
      LedgerVerifier.State.self, from: Data(try s.f.cache("T01").syncCheckpoint()!.utf8))
    let remote = try HQConnection(
      baseURL: s.hq.url, logger: Logger(label: "test"), clock: { .wallClock }, retry: RetryPolicy(waits: []))
    let first = try await remote.exchange(s.outbox, at: Self.day1, after: state, terminal: "T01", key: key, now: nil)
    await remote.close()
    s.hq.stop()
    #expect(first.answer?.appended == s.outbox.map(\.id))
    let path = s.f.ledger.path + ".answers"
    let stored = try String(contentsOfFile: path, encoding: .utf8)
    var edited = try JSONDecoder().decode(SubmissionAnswer.self, from: Data(stored.utf8))
    edited.refused = edited.appended.map { .init(id: $0, reason: "edited in the file") }
    edited.appended = []
    var line = try JSONEncoder().encode(edited)
    line.append(0x0A)
    try line.write(to: URL(fileURLWithPath: path))
    let restarted = try await HQServiceProcess(ledger: s.f.ledger.path, hqKey: hqKey)
    defer { restarted.stop() }
    let again = try HQConnection(
      baseURL: restarted.url, logger: Logger(label: "test"), clock: { .wallClock }, retry: RetryPolicy(waits: []))
    let retry = try await again.exchange(s.outbox, at: Self.day1, after: state, terminal: "T01", key: key, now: nil)
    await again.close()
    #expect(retry.answer?.refused == [], "HQ gave back an edited stored answer: \(String(describing: retry.answer))")
    #expect(retry.answer?.held == s.outbox.map(\.id))
  }

  /// A real refusal (an earn edited in the cache after it was decided) is signed by HQ, believed
  /// and shown as before: out of the outbox, kept as refused with HQ's reason.
  @Test func aRealRefusalIsSignedAndStillBelieved() async throws {
    let s = try await Served()
    defer { s.hq.stop() }
    let queue = try DatabaseQueue(path: s.f.cachePath("T01"))
    try queue.inDatabase {
      try $0.execute(sql: "UPDATE entry SET tier = 'Gold' WHERE kind = 'earn' AND origin = 'local'")
    }
    let record = s.f.directory.appendingPathComponent("answer.json").path
    let summary = try await s.sync(through: { $0 }, record: record)
    #expect(summary.refusedByHQ.count == 1 && summary.refusedByHQ[0].hasPrefix("earn-"), "\(summary.refusedByHQ)")
    #expect(summary.sent == 1)
    #expect(try s.f.cache("T01").outbox().isEmpty)
    #expect(try s.refusedInCache() == 1)
    let answer = try String(contentsOfFile: record, encoding: .utf8)
    #expect(answer.contains("\"signature\":") && answer.contains("\"terminal\":\"T01\""), "\(answer)")
  }

  /// The canonical encoding covers every field: each edit, another terminal, another key fails.
  @Test func anAnswerVerifiesOnlyAsSigned() throws {
    func newKey() throws -> LedgerKey {
      try LedgerKey.generate(at: FileManager.default.temporaryDirectory.appendingPathComponent("key-\(UUID())").path)
    }
    let hq = try newKey()
    var answer = SubmissionAnswer(
      batch: "ab12", appended: ["enroll-1"], held: ["earn-2"], refused: [.init(id: "earn-3", reason: "r")],
      terminal: "T01")
    answer.sign(with: hq)
    #expect(answer.isSigned(by: hq.publicKeyBase64))
    try answer.check(signedBy: hq.publicKeyBase64, for: "T01")
    #expect(throws: SyncProtocolError.self) { try answer.check(signedBy: hq.publicKeyBase64, for: "T02") }
    let stranger = try newKey().publicKeyBase64
    #expect(throws: SyncProtocolError.self) { try answer.check(signedBy: stranger, for: "T01") }
    #expect(throws: SyncProtocolError.self) { try answer.check(signedBy: nil, for: "T01") }
    let edits: [(inout SubmissionAnswer) -> Void] = [
      { $0.batch = "ab13" }, { $0.appended = [] }, { $0.held = ["earn-2", "x"] }, { $0.refused[0].reason = "s" },
      { $0.refused[0].id = "earn-4" }, { $0.repairedBytes = 1 }, { $0.terminal = "T02" },
      // A field boundary moved: the same characters, another meaning.
      { $0.refused = [.init(id: "earn-3 1:r", reason: "")] },
    ]
    for (i, edit) in edits.enumerated() {
      var edited = answer
      edit(&edited)
      #expect(!edited.isSigned(by: hq.publicKeyBase64), "edit \(i) still verifies")
    }
  }
}

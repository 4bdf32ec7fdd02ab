import Foundation
import HQClient
import LedgerFormat
import LedgerStore
import LoyaltyCore
import NightlySync
import PointsCache
import SyncProtocol
import TestSupport
import Testing

/// An on-path proxy: it answers "held" for the whole outbox without forwarding it, and passes
/// the checkpoint and the state delta through as they are. A network path: its checkpoints and
/// answers must be HQ's, signed.
struct LyingConnection: LedgerConnection {
  let honest: LocalLedgerConnection

  var location: String { "a lying proxy in front of \(honest.location)" }
  var signsCheckpoints: Bool { true }

  func exchange(
    _ outbox: [Entry], at: UTCInstant, after state: LedgerVerifier.State, terminal: String, key: LedgerKey,
    now: UTCInstant?
  ) async throws -> SyncExchange {
    var exchange = try await honest.exchange([], at: at, after: state, terminal: terminal, key: key, now: now)
    exchange.answer = SubmissionAnswer(batch: "", appended: [], held: outbox.map(\.id), refused: [])
    return exchange
  }

  func download(_ checkpoint: SyncCheckpoint, terminal: String, key: LedgerKey, scratch: String) async throws
    -> LedgerBytes
  {
    try await honest.download(checkpoint, terminal: terminal, key: key, scratch: scratch)
  }

  func stateDelta(since: Int64, programChecksum: String?, terminal: String, key: LedgerKey, scratch: String)
    async throws -> String
  {
    try await honest.stateDelta(
      since: since, programChecksum: programChecksum, terminal: terminal, key: key, scratch: scratch)
  }

  func lookUp(card: String, basis: Int64, terminal: String, key: LedgerKey) async throws -> AccountLookup {
    try await honest.lookUp(card: card, basis: basis, terminal: terminal, key: key)
  }
}

/// A terminal marks an outbox entry synced only on an answer HQ vouches for: signed by HQ's key
/// over the network (over the file path, its own admission of HQ's file). Whatever else claims to
/// be HQ's answer is not enough.
@Suite("A terminal marks synced only what HQ vouches for")
struct ReadBackTests {
  @Test func anAnswerClaimingHeldForEntriesTheLedgerLacksLeavesThemInTheOutbox() async throws {
    let f = try ChainFixture(terminals: 1)
    try await f.sync("T01", at: ChainFixture.start.adding(seconds: 60))
    let cache = try f.cache("T01")
    _ = try cache.enroll(card: ChainFixture.cards[0], referrer: nil, context: f.context("T01", 0))
    _ = try cache.earn(
      card: ChainFixture.cards[0], lines: [PurchaseLine(category: "fresh", amount: 2_000)], receipt: "R1",
      context: f.context("T01", 60))
    let outbox = try cache.outbox().map(\.id)
    #expect(outbox.count == 2)
    let liar = NightlySync(
      cache: cache, connection: LyingConnection(honest: LocalLedgerConnection(ledger: f.ledger)), terminal: "T01",
      key: try LedgerKey.load(from: f.keyPath("T01")))
    await #expect(throws: (any Error).self, "an unsigned answer was believed") {
      try await liar.run(at: ChainFixture.start.adding(days: 1))
    }
    #expect(try cache.outbox().map(\.id) == outbox, "entries HQ does not hold were marked synced")
    // The next honest sync admits them.
    let honest = try await f.sync("T01", at: ChainFixture.start.adding(days: 1).adding(seconds: 600))
    #expect(honest.sent == 2 && honest.notices.isEmpty, "\(honest)")
    #expect(try cache.outbox().isEmpty)
    let (fold, _) = try LedgerFold.fold(path: f.ledger.path)
    for id in outbox { #expect(fold.audit.contains(id: id), "\(id) is not in HQ's ledger") }
    #expect(try cache.replicaStates() == fold.accounts)
    #expect(try cache.consistencyProblems().isEmpty)
  }

  /// A forged line in HQ's answers file (write access to HQ's directory, no key) claims a batch
  /// held: HQ does not hold those entries, so it ignores the stored answer and admits afresh.
  @Test func aForgedStoredAnswerDoesNotMakeHQAnswerHeld() async throws {
    let f = try ChainFixture(terminals: 1)
    try await f.sync("T01", at: ChainFixture.start.adding(seconds: 60))
    let cache = try f.cache("T01")
    _ = try cache.enroll(card: ChainFixture.cards[0], referrer: nil, context: f.context("T01", 0))
    let outbox = try cache.outbox()
    let state = try JSONDecoder().decode(LedgerVerifier.State.self, from: Data(try cache.syncCheckpoint()!.utf8))
    let at = ChainFixture.start.adding(days: 1)
    let batch = Submission(terminal: "T01", at: at, since: state.offset, entries: outbox).batch
    let forged = SubmissionAnswer(batch: batch, appended: [], held: outbox.map(\.id), refused: [])
    var line = try JSONEncoder().encode(forged)
    line.append(0x0A)
    try line.write(to: URL(fileURLWithPath: f.ledger.path + ".answers"))
    let hq = try await HQServiceProcess(ledger: f.ledger.path, hqKey: f.directory.appendingPathComponent("hq.key").path)
    defer { hq.stop() }
    let run = try f.syncChild("T01", hq.url, at: at)
    #expect(run.status == 0, "\(run.errors)")
    let (fold, _) = try LedgerFold.fold(path: f.ledger.path)
    #expect(fold.audit.contains(id: outbox[0].id), "HQ answered a forged stored answer: \(run.output)")
    #expect(try cache.outbox().isEmpty)
  }
}

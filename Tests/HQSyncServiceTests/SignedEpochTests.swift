import CounterSimulation
import Foundation
import HQClient
import HTTPRetry
import LedgerFormat
import Logging
import LoyaltyCLISupport
import LoyaltyCore
import NightlySync
import SyncProtocol
import TestSupport
import Testing

/// Forges a consistent delta in place: a state's points raised and the epoch's liability and
/// digest recomputed to match (the whole chain is in this one delta). Only HQ's signature can tell.
@Sendable func forgeConsistently(_ path: String) throws {
  let reader = try StateDeltaReader(path: path)
  var states: [[UInt8]] = []
  try reader.states { states += $0 }
  var header = reader.header
  var digest = StateDigest()
  for (i, bytes) in states.enumerated() {
    var state = try AccountStateEncoding.decode(bytes)
    if header.epoch.liability == reader.header.epoch.liability, let lot = state.lots.lots.first {
      state.lots = try PointLots(
        lots: [PointLots.Lot(earnedAt: lot.earnedAt, expiresAt: lot.expiresAt, remaining: lot.remaining + 1_000)]
          + state.lots.lots.dropFirst(), deficit: state.lots.deficit)
      states[i] = AccountStateEncoding.encode(state)
      header.epoch.liability += 1_000
    }
    digest.add(states[i])
  }
  header.epoch.digest = digest.checksum
  var writer = try StateDeltaWriter(path: path, header: header)
  for s in states { try writer.append(s) }
  try writer.finish()
}

@Suite("HQ's epochs are signed and a terminal applies only those")
struct SignedEpochTests {
  /// A forged delta that agrees with itself (its epoch's digest and liability recomputed) is
  /// refused on HQ's signature: nothing applied, the outbox kept; the honest sync then applies.
  @Test func aConsistentForgeryIsRefusedOnHQsSignature() async throws {
    let f = try ChainFixture(terminals: 2)
    let hq = try await HQServiceProcess(ledger: f.ledger.path, hqKey: f.directory.appendingPathComponent("hq.key").path)
    defer { hq.stop() }
    for t in f.terminals {
      let run = try f.syncChild(t, hq.url, at: ChainFixture.start.adding(seconds: 60))
      #expect(run.status == 0, "\(run.errors)")
    }
    let cache = try f.cache("T01")
    _ = try cache.enroll(card: ChainFixture.cards[0], referrer: nil, context: f.context("T01", 0))
    _ = try cache.earn(
      card: ChainFixture.cards[0], lines: [PurchaseLine(category: "fresh", amount: 2_000)], receipt: "R1",
      context: f.context("T01", 60))
    let sent = try f.syncChild("T01", hq.url, at: ChainFixture.start.adding(days: 1))
    #expect(sent.status == 0, "\(sent.errors)")
    // T02 has synced once (no account yet): its next delta is its first with an account in it.
    let remote = try HQConnection(
      baseURL: hq.url, logger: Logger(label: "test"), clock: { .wallClock }, retry: RetryPolicy(waits: []))
    let forged = NightlySync(
      cache: try f.cache("T02"), connection: TamperingConnection(honest: remote, tamper: forgeConsistently),
      terminal: "T02",
      key: try LedgerKey.load(from: f.keyPath("T02")))
    var failure = ""
    do {
      _ = try await forged.run(at: ChainFixture.start.adding(days: 1).adding(seconds: 60))
      Issue.record("a forged epoch was applied")
    } catch { failure = "\(error)" }
    await remote.close()
    #expect(failure.contains("is not signed by the HQ key this terminal pinned"), "\(failure)")
    #expect(try f.cache("T02").balances().isEmpty, "the forged state was applied")
    let honest = try f.syncChild("T02", hq.url, at: ChainFixture.start.adding(days: 1).adding(seconds: 120))
    #expect(honest.status == 0, "\(honest.errors)")
    #expect(try f.cache("T02").balances() == f.cache("T01").balances())
    #expect(try f.cache("T02").replicaPosition()?.epoch.contains("\"signature\"") == true)
  }
}

/// HQ's ledger rewritten below a terminal's position — under the running service, or before it
/// starts — is refused, named, instead of handing the terminal states its entries are not in.
@Suite("A rewritten HQ ledger is refused over the service")
struct RewrittenLedgerTests {
  func earn(_ f: ChainFixture, _ t: String, card: Int, receipt: String, seconds: Int64) throws {
    let cache = try f.cache(t)
    _ = try cache.enroll(card: ChainFixture.cards[card], referrer: nil, context: f.context(t, seconds))
    _ = try cache.earn(
      card: ChainFixture.cards[card], lines: [PurchaseLine(category: "fresh", amount: 2_000)], receipt: receipt,
      context: f.context(t, seconds + 1))
  }

  @Test func aTerminalWhosePositionHQsLedgerNoLongerHoldsIsRefused() async throws {
    let f = try ChainFixture(terminals: 2)
    let hqKey = f.directory.appendingPathComponent("hq.key").path
    let night = ChainFixture.start.adding(days: 1)
    var hq = try await HQServiceProcess(ledger: f.ledger.path, hqKey: hqKey)
    for t in f.terminals { #expect(try f.syncChild(t, hq.url, at: ChainFixture.start.adding(seconds: 60)).status == 0) }
    let before = try Data(contentsOf: URL(fileURLWithPath: f.ledger.path))
    try earn(f, "T02", card: 0, receipt: "R1", seconds: 0)
    #expect(try f.syncChild("T02", hq.url, at: night).status == 0)
    // Under the running service: the file rolled back to before T02's batch.
    try before.write(to: URL(fileURLWithPath: f.ledger.path))
    let refused = try f.syncChild("T01", hq.url, at: night.adding(seconds: 60))
    #expect(refused.status != 0)
    #expect(refused.errors.contains("rewritten under the service"), "\(refused.errors)")
    _ = hq.stop()
    // HQ starts again on the rolled-back file, and T01 appends a different batch at those seqs:
    // T02's position is no longer in it.
    hq = try await HQServiceProcess(ledger: f.ledger.path, hqKey: hqKey)
    defer { _ = hq.stop() }
    try earn(f, "T01", card: 1, receipt: "R2", seconds: 100)
    #expect(try f.syncChild("T01", hq.url, at: night.adding(seconds: 120)).status == 0)
    let balances = try f.cache("T02").balances()
    let forked = try f.syncChild("T02", hq.url, at: night.adding(seconds: 180))
    #expect(forked.status != 0)
    #expect(forked.errors.contains("no longer holds this terminal's position"), "\(forked.errors)")
    #expect(try f.cache("T02").balances() == balances, "the forked states were applied")
  }
}

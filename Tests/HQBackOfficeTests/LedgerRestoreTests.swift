import Foundation
import HQBackOffice
import HQClient
import HTTPRetry
import LedgerFormat
import LedgerStore
import Logging
import LoyaltyCLISupport
import LoyaltyCore
import NightlySync
import PointsCache
import TestSupport
import Testing

/// Issue 21, "backup and restore": a backup taken while `hq serve` runs, more syncs, a restore,
/// and every counter syncs again with no honest point lost — through the built binary, over HTTP.
@Suite("HQ backup and restore")
struct LedgerRestoreTests {
  static let day1 = ChainFixture.start.adding(days: 1)
  let f: ChainFixture
  var hqKey: String { f.directory.appendingPathComponent("hq.key").path }

  init() throws { f = try ChainFixture(terminals: 3) }

  /// HQ's binary, `loyalty-hq`, run to its end.
  func cli(_ arguments: [String]) throws -> (status: Int32, output: String, errors: String) {
    try runToCompletion(BuiltProducts.loyaltyHQ, arguments)
  }

  func sync(_ t: String, over hq: HQServiceProcess, at time: UTCInstant) async throws -> SyncSummary {
    let remote = try HQConnection(
      baseURL: hq.url, logger: Logger(label: "test"), clock: { .wallClock }, retry: RetryPolicy(waits: []))
    defer { Task { await remote.close() } }
    let sync = NightlySync(
      cache: try f.cache(t), connection: remote, terminal: t, key: try LedgerKey.load(from: f.keyPath(t)))
    return try await sync.run(at: time)
  }

  func earn(_ t: String, _ card: Int, _ amount: Int64, _ seconds: Int64) throws {
    _ = try f.cache(t).earn(
      card: ChainFixture.cards[card], lines: [PurchaseLine(category: "fresh", amount: amount)],
      receipt: "R\(t)-\(seconds)", context: f.context(t, seconds))
  }

  /// The ledger's balances (every reader's fold).
  func foldBalances() throws -> [String: Int64] {
    let (fold, _) = try LedgerFold.fold(path: f.ledger.path)
    return Dictionary(
      uniqueKeysWithValues: fold.balances(at: Self.day1.adding(days: 30)).map { ($0.account, $0.balance) })
  }

  @Test func backUpSyncMoreRestoreAndEveryCounterCarriesOnWithNoPointLost() async throws {
    var hq = try await HQServiceProcess(ledger: f.ledger.path, hqKey: hqKey)
    for t in f.terminals { _ = try await sync(t, over: hq, at: Self.day1) }
    _ = try f.cache("T01").enroll(card: ChainFixture.cards[0], referrer: nil, context: f.context("T01", 100))
    try earn("T01", 0, 4_000, 200)
    _ = try f.cache("T02").enroll(card: ChainFixture.cards[1], referrer: nil, context: f.context("T02", 100))
    try earn("T02", 1, 2_000, 200)
    for t in f.terminals { _ = try await sync(t, over: hq, at: Self.day1.adding(seconds: 3_600)) }
    for t in f.terminals { _ = try await sync(t, over: hq, at: Self.day1.adding(seconds: 3_700)) }

    // The backup, while the service runs.
    let backup = f.directory.appendingPathComponent("backup-1").path
    let taken = try cli(["ledger", "backup", "--ledger", f.ledger.path, "--to", backup])
    #expect(taken.status == 0 && taken.output.contains("verified"), "\(taken.output) \(taken.errors)")

    // More after it: earns at all three, a redemption at T03 paid by points earned after the
    // backup at T01 (lost history it decided on), a new card at T02.
    try earn("T01", 0, 3_000, 86_400)
    try earn("T02", 1, 1_000, 86_400)
    _ = try f.cache("T02").enroll(card: ChainFixture.cards[2], referrer: nil, context: f.context("T02", 86_500))
    try earn("T02", 2, 2_500, 86_600)
    for t in f.terminals { _ = try await sync(t, over: hq, at: Self.day1.adding(days: 1).adding(seconds: 3_600)) }
    _ = try f.cache("T03").redeem(card: ChainFixture.cards[0], item: "coffee", context: f.context("T03", 90_000))
    try earn("T03", 1, 500, 90_100)
    _ = try await sync("T03", over: hq, at: Self.day1.adding(days: 1).adding(seconds: 7_200))
    try earn("T01", 0, 1_000, 95_000)  // not synced before the restore
    let honest = try foldBalances()
    #expect(honest.values.reduce(0, +) > 0)

    // The restore: refused while hq serve runs, done once it is stopped.
    let restoreArguments = [
      "ledger", "restore", "--from", backup, "--ledger", f.ledger.path, "--hq-key", hqKey, "--at",
      Self.day1.adding(days: 2).description,
    ]
    let refused = try cli(restoreArguments)
    #expect(refused.status == 1 && refused.errors.contains("loyalty-hq serve is running"), "\(refused.errors)")
    let preview = try cli(restoreArguments + ["--dry-run"])  // changes nothing: allowed beside the service
    #expect(preview.status == 0 && preview.output.contains("would restore"), "\(preview.errors)")
    hq.stop()
    let restored = try cli(restoreArguments)
    #expect(restored.status == 0 && restored.output.contains("restore line at seq"), "\(restored.errors)")
    hq = try await HQServiceProcess(ledger: f.ledger.path, hqKey: hqKey)
    defer { hq.stop() }

    // Every counter syncs again — the redeemer first — and all converge on the honest balances.
    let again = Self.day1.adding(days: 2).adding(seconds: 3_600)
    for t in ["T03", "T02", "T01"] {
      let summary = try await sync(t, over: hq, at: again)
      #expect(summary.notices.first?.contains("restored from a backup") == true, "\(t): \(summary.notices)")
      #expect(summary.refusedByHQ.isEmpty, "\(t): \(summary.refusedByHQ)")
    }
    for t in f.terminals { _ = try await sync(t, over: hq, at: again.adding(seconds: 60)) }
    var expected = honest
    expected[Identities.accountID(enrolledWith: ChainFixture.cards[0])]! += 40  // the earn made after the backup, unsynced (fresh, ×2 in November)
    let fold = try foldBalances()
    #expect(fold == expected, "honest \(honest), after \(fold)")
    for t in f.terminals {
      let seen = try f.balances(t)
      #expect(seen == expected, "\(t): \(seen)")
    }
    let verified = try cli(["ledger", "verify", "--ledger", f.ledger.path])
    #expect(verified.status == 0 && verified.output.contains("every counter entry re-derived"), "\(verified.output)")
    for t in f.terminals { #expect(try f.cache(t).outbox().isEmpty, "\(t) still has entries to send") }
  }

  @Test func aBackupIsCheckedAndADamagedOneIsRefusedInOneLine() async throws {
    for t in f.terminals { try await f.sync(t, at: Self.day1) }
    let backup = f.directory.appendingPathComponent("b").path
    #expect(try cli(["ledger", "backup", "--ledger", f.ledger.path, "--to", backup]).status == 0)
    let again = try cli(["ledger", "backup", "--ledger", f.ledger.path, "--to", backup])
    #expect(again.status == 1 && again.errors.contains("name a new one"), "\(again.errors)")
    let checked = try cli(["ledger", "backup", "--check", backup])
    #expect(checked.status == 0 && checked.output.contains("is sound"), "\(checked.output)")
    let copy = backup + "/" + (f.ledger.path as NSString).lastPathComponent
    var bytes = try Data(contentsOf: URL(fileURLWithPath: copy))
    bytes[bytes.count / 2] ^= 0x01
    try bytes.write(to: URL(fileURLWithPath: copy))
    let damaged = try cli(["ledger", "backup", "--check", backup])
    #expect(damaged.status == 1 && damaged.errors.contains("this backup is damaged"), "\(damaged.errors)")
    let restore = try cli(["ledger", "restore", "--from", backup, "--ledger", f.ledger.path, "--hq-key", hqKey])
    #expect(restore.status == 1 && restore.errors.contains("damaged"), "\(restore.errors)")
    #expect(try LedgerVerifier().verify(path: f.ledger.path).lastSeq > 0, "the ledger was left in place")
  }
}

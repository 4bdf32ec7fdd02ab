import Foundation
import GRDB
import LoyaltyCore
import Testing

@testable import PointsCache

/// This terminal's entries HQ's admission refused live in the `refusal` table (v7-refusals):
/// moved there from `entry` at the sync that brings the refusal, out of the outbox and out of
/// their account, listed by `refusedByHQ()` and shown by `history` with HQ's reason; the same
/// once-only entry recorded by another counter then reaches this one as its account's state.
@Suite("Refusals by HQ (the refusal table)")
struct RefusalTableTests {
  let alice = "6280001234567895"
  let bob = "04A1B2C3D4E5F6"
  let carol = "0A1B2C3D"
  let reason = "the standing enrolment names another referrer"

  func at(_ time: String) -> OperationContext { CacheFixture.context("T01", time) }

  func column(_ cache: PointsCache, _ sql: String, _ arguments: StatementArguments = []) throws -> [String] {
    let queue = try DatabaseQueue(path: cache.path)
    defer { try? queue.close() }
    return try queue.read { db in try String.fetchAll(db, sql: sql, arguments: arguments) }
  }

  /// A delta of `states` (the whole chain HQ knows: carol alone, or nobody) to epoch `seq`.
  static func delta(since: Int64, full: Bool, seq: Int64, states: [AccountState]) -> StateDeltaInput {
    let bytes = states.map(AccountStateEncoding.encode)
    var digest = StateDigest()
    for b in bytes { digest.add(b) }
    return StateDeltaInput(
      since: since, full: full, program: nil,
      target: ReplicaTarget(
        seq: seq, accounts: states.count, liability: states.reduce(0) { $0 + $1.balance }, checksum: digest.checksum,
        programChecksum: nil, epoch: "{}"),
      states: { emit in try emit(bytes) })
  }

  static func position(_ seq: Int64) -> SyncPosition {
    SyncPosition(state: "{}", offset: 10 * seq, lastSeq: seq, head: "h\(seq)", registered: true)
  }

  @Test func aRefusedEntryMovesToTheRefusalTableAndTheLedgersEntryOfItsIdIsApplied() throws {
    let f = try CacheFixture()
    let aliceAccount = try f.cache.enroll(card: alice, referrer: nil, context: at("2026-11-02T09:00:00Z"))
    let bobAccount = try f.cache.enroll(card: bob, referrer: alice, context: at("2026-11-02T09:01:00Z"))
    _ = try f.cache.earn(
      card: bob, lines: [PurchaseLine(category: "fresh", amount: 2_500)], receipt: "R1",
      context: at("2026-11-02T09:02:00Z"))
    let bonus = Identities.referralBonusID(refereeAccount: bobAccount, forReferrer: true)
    #expect(try f.cache.outbox().map(\.id).contains(bonus))
    #expect(try f.cache.balances()[aliceAccount] == 200)

    // HQ refuses the referrer's bonus: it moves to `refusal` with the reason, leaves the outbox,
    // and alice's account is rebuilt without it (HQ's first epoch here holds no account yet).
    let first = try f.cache.applyStateSync(
      Self.delta(since: 0, full: true, seq: 1, states: []), claimed: [],
      refusedByHQ: [EntryRefusal(id: bonus, reason: reason)], position: Self.position(1),
      at: UTCInstant(parsing: "2026-11-03T02:00:00Z")!)
    #expect(first.rebuilt >= 1)
    #expect(try !f.cache.outbox().map(\.id).contains(bonus))
    #expect(try f.cache.outbox().count == 4, "both enrolments, the earn and the referee's bonus")
    #expect(try column(f.cache, "SELECT id FROM entry WHERE id = ?", [bonus]).isEmpty)
    #expect(try column(f.cache, "SELECT reason FROM refusal WHERE id = ?", [bonus]) == [reason])
    #expect(try f.cache.refusedByHQ().map { "\($0.id): \($0.reason)" } == ["\(bonus): \(reason)"])
    #expect(try !f.cache.localEntryIds().contains(bonus))
    #expect(try f.cache.balances()[aliceAccount] == 0)
    let shown = try f.cache.history(card: alice)
    #expect(shown.map(\.record.kind) == [.enroll, .referralBonus])
    #expect(shown.last?.record.id == bonus && shown.last?.record.points == 200)
    #expect(shown.last?.refusedByHQ == reason && shown.first?.refusedByHQ == nil)
    #expect(try f.cache.consistencyProblems().isEmpty)

    // HQ holds the same bonus from another counter (T02, paying carol): it arrives as carol's
    // state; the refusal is still listed with its own id.
    let carolAccount = Identities.accountID(enrolledWith: carol)
    let day = UTCInstant(parsing: "2026-11-03T10:00:00Z")!
    var carolState = AccountState(id: carolAccount)
    try carolState.apply(
      Entry(
        kind: .enroll, id: Identities.enrollmentEntryID(account: carolAccount), at: day, terminal: "T02",
        account: carolAccount, card: carol, points: 0, basis: 0), rules: StateRules(expiryDays: 365))
    try carolState.apply(
      Entry(
        kind: .referralBonus, id: bonus, at: day.adding(seconds: 60), terminal: "T02", account: carolAccount,
        points: 200, ref: bobAccount, basis: 0), rules: StateRules(expiryDays: 365))
    let second = try f.cache.applyStateSync(
      Self.delta(since: 1, full: false, seq: 2, states: [carolState]), claimed: [], position: Self.position(2),
      at: UTCInstant(parsing: "2026-11-04T02:00:00Z")!)
    #expect(second.applied == 1)
    #expect(try column(f.cache, "SELECT id FROM entry WHERE terminal = 'T02'").isEmpty, "another counter's entry kept")
    #expect(try f.cache.refusedByHQ().map(\.id) == [bonus])
    #expect(try f.cache.balances()[carolAccount] == 200 && f.cache.balances()[aliceAccount] == 0)
    #expect(try f.cache.history(card: alice).last?.refusedByHQ == reason)
    #expect(try f.cache.history(card: carol).isEmpty, "no entry of this counter's on carol")
    #expect(try f.cache.consistencyProblems().isEmpty)

    // A purchase after the refusal does not decide the refused bonus again.
    _ = try f.cache.earn(
      card: bob, lines: [PurchaseLine(category: "fresh", amount: 2_500)], receipt: "R2",
      context: at("2026-11-04T09:00:00Z"))
    #expect(try f.cache.outbox().filter { $0.kind == .referralBonus }.count == 1, "the referee's, unsynced")
  }

  /// A cache of the previous schema (v6-sync-history): refused rows in `entry` with a `refused`
  /// column, one renamed "<id> refused <seq>" because the ledger holds an entry of its id. Opening
  /// it moves them to `refusal` under their own ids, with HQ's reason, and drops the column.
  @Test func aCacheOfThePreviousSchemaWithARenamedRowIsMigrated() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("points-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let path = directory.appendingPathComponent("cache.db").path
    let aliceAccount = Identities.accountID(enrolledWith: alice)
    let carolAccount = Identities.accountID(enrolledWith: carol)
    let bobAccount = Identities.accountID(enrolledWith: bob)
    let bonus = Identities.referralBonusID(refereeAccount: bobAccount, forReferrer: true)
    let enrolment = Identities.enrollmentEntryID(account: aliceAccount)
    let queue = try DatabaseQueue(path: path)
    try CacheSchema.migrator.migrate(queue, upTo: "v6-sync-history")
    try queue.write { db in
      #expect(try db.columns(in: "entry").map(\.name).contains("refused"))
      try db.execute(
        sql: """
          INSERT INTO owner (id, terminal) VALUES (1, 'T01');
          INSERT INTO account (id, enrolledAt, balance) VALUES (:aliceAccount, 1000, 0), (:carolAccount, 2000, 200);
          INSERT INTO card (id, accountId, linkedAt) VALUES (:alice, :aliceAccount, 1000), (:carol, :carolAccount, 2000);
          INSERT INTO lot (accountId, earnedAt, expiresAt, remaining) VALUES (:carolAccount, 2000, 99999999, 200);
          INSERT INTO entry (seq, id, kind, at, terminal, operator, accountId, card, points, origin, synced, basis)
            VALUES (1, :enrolment, 'enroll', 1000, 'T01', 'tester', :aliceAccount, :alice, 0, 'local', 0, 0);
          INSERT INTO entry (seq, id, kind, at, terminal, operator, accountId, points, reference, origin, synced,
              basis, refused)
            VALUES (2, :bonus || ' refused 2', 'referralBonus', 1100, 'T01', 'tester', :aliceAccount, 200, :bobAccount, 'local', 0, 0,
              'refused by HQ: the standing enrolment names another referrer');
          INSERT INTO entry (seq, id, kind, at, terminal, operator, accountId, card, points, amount, currency,
              receipt, lines, programVersion, tier, basis, pendingDays, origin, synced, refused)
            VALUES (3, 'earn-T01/R9', 'earn', 1200, 'T01', 'tester', :aliceAccount, :alice, 30, 1500, 'EUR', 'T01/R9',
              'fresh=1500', 1, 'Bronze', 0, 0, 'local', 0, 'refused by HQ: basis 0 is before the horizon');
          INSERT INTO entry (seq, id, kind, at, terminal, operator, accountId, points, reference, origin, synced,
              syncedIn)
            VALUES (4, :bonus, 'referralBonus', 2000, 'T02', 'ledger', :carolAccount, 200, :bobAccount, 'ledger', 1, 2);
          """,
        arguments: [
          "aliceAccount": aliceAccount, "carolAccount": carolAccount, "alice": alice, "carol": carol,
          "enrolment": enrolment, "bonus": bonus, "bobAccount": bobAccount,
        ])
    }
    try queue.close()

    let cache = try PointsCache(path: path)
    #expect(
      try cache.refusedByHQ().map { "\($0.id): \($0.reason)" } == [
        "\(bonus): the standing enrolment names another referrer",
        "earn-T01/R9: basis 0 is before the horizon",
      ])
    #expect(try column(cache, "SELECT seq FROM refusal ORDER BY seq") == ["2", "3"])
    #expect(try column(cache, "SELECT name FROM pragma_table_info('entry') WHERE name = 'refused'").isEmpty)
    #expect(
      try column(cache, "SELECT sql FROM sqlite_master WHERE name = 'entry_outbox'")
        == ["CREATE INDEX entry_outbox ON entry(seq) WHERE origin = 'local' AND synced = 0"])
    #expect(try column(cache, "SELECT id FROM entry ORDER BY seq") == [enrolment, bonus])
    #expect(try cache.outbox().map(\.id) == [enrolment])
    let shown = try cache.history(card: alice)
    #expect(shown.map(\.record.id) == [enrolment, bonus, "earn-T01/R9"])
    #expect(
      shown.map(\.refusedByHQ) == [
        nil, "the standing enrolment names another referrer", "basis 0 is before the horizon",
      ])
    let earn = shown.last?.record
    #expect(earn?.lines == "fresh=1500" && earn?.tier == "Bronze" && earn?.receipt == "T01/R9" && earn?.amount == 1500)
    #expect(earn?.origin == .local && earn?.synced == false)
    #expect(try cache.consistencyProblems().isEmpty)
  }
}

import Foundation
import GRDB
import HQBackOffice
import LedgerFormat
import LedgerStore
import LoyaltyCore
import NightlySync
import PointsCache
import TestSupport
import Testing

/// A chain of three counters where T01 is in the attacker's hands: its key, its cache, write
/// access to HQ's file. T02 is an honest shop with a customer; T03 an honest counter that only
/// learns. Every sync of the attacker is a real `loyalty-terminal sync` child process.
struct AttackedChain {
  let f: ChainFixture
  /// T02's customer (the victim) and T01's own (the accomplice).
  let victimCard = ChainFixture.cards[0]
  let accompliceCard = ChainFixture.cards[1]
  var victim: String { Identities.accountID(enrolledWith: victimCard) }
  var accomplice: String { Identities.accountID(enrolledWith: accompliceCard) }
  static let day2 = ChainFixture.start.adding(days: 2)

  init() async throws {
    f = try ChainFixture(terminals: 3)
    for t in f.terminals { try await f.sync(t, at: ChainFixture.start.adding(seconds: 60)) }
    let t2 = try f.cache("T02")
    _ = try t2.enroll(card: victimCard, referrer: nil, context: f.context("T02", 0))
    _ = try t2.earn(
      card: victimCard, lines: [PurchaseLine(category: "fresh", amount: 4_000)], receipt: "R100",
      context: f.context("T02", 60))
    try await f.sync("T02", at: ChainFixture.start.adding(days: 1).adding(seconds: 3600))
    try await f.sync("T01", at: ChainFixture.start.adding(days: 1).adding(seconds: 3700))
    // The attacker's honest-looking day: its own customer enrolled and buying.
    let t1 = try f.cache("T01")
    let at = ChainFixture.start.adding(days: 1).adding(seconds: 7200)
    _ = try t1.enroll(card: accompliceCard, referrer: nil, context: .init(terminal: "T01", operator: "x", at: at))
    _ = try t1.earn(
      card: accompliceCard, lines: [PurchaseLine(category: "fresh", amount: 2_000)], receipt: "R1",
      context: .init(terminal: "T01", operator: "x", at: at.adding(seconds: 60)))
  }

  /// HQ publishes `program` (its version 2) an hour before day 2, and T01 syncs it; returns when.
  func publish(_ program: String) throws -> UTCInstant {
    let at = Self.day2.adding(seconds: -3600)
    try f.ledger.append(
      [LedgerEntry(kind: .program, id: "program-2", at: at, terminal: "HQ", data: program)], signer: "HQ",
      key: try LedgerKey.load(from: f.directory.appendingPathComponent("hq.key").path), at: at)
    #expect(try syncChild("T01", at: at.adding(seconds: 60)).status == 0)
    return at
  }

  /// Runs SQL on T01's cache file, as someone with the file would.
  func edit(_ sql: String, _ arguments: StatementArguments = []) throws {
    let queue = try DatabaseQueue(path: f.cachePath("T01"))
    try queue.write { db in try db.execute(sql: sql, arguments: arguments) }
    try queue.close()
  }

  /// Forgets `card`'s public key in T01's cache, as an attacker editing it would: in the account's
  /// state the counter decides on, and in the card index.
  func stripCardKey(of card: String) throws {
    let queue = try DatabaseQueue(path: f.cachePath("T01"))
    try queue.write { db in
      // A linked card has its row in the card index; a card's own account is derived from it.
      let account =
        try String.fetchOne(db, sql: "SELECT accountId FROM card WHERE id = ?", arguments: [card])
        ?? Identities.accountID(enrolledWith: card)
      let bytes = try Data.fetchOne(
        db, sql: "SELECT COALESCE(working, state) FROM account WHERE id = ?", arguments: [account])!
      var state = try AccountStateEncoding.decode(AccountStateEncoding.attached(Array(bytes), id: account))
      state.cardKeys[card] = nil
      try db.execute(
        sql: "UPDATE account SET working = ? WHERE id = ?",
        arguments: [Data(AccountStateEncoding.encode(state)), account])
      try db.execute(sql: "UPDATE card SET publicKey = NULL WHERE id = ?", arguments: [card])
    }
    try queue.close()
  }

  /// `loyalty-terminal sync` for `t`, as a child process: its exit status and JSON summary.
  func syncChild(_ t: String, at: UTCInstant) throws -> (status: Int32, summary: [String: Any]) {
    let run = try runToCompletion(
      BuiltProducts.loyaltyTerminal,
      [
        "sync", "--cache", f.cachePath(t), "--ledger", f.ledger.path, "--terminal", t, "--key", f.keyPath(t), "--at",
        at.description, "--json",
      ])
    let json = (try? JSONSerialization.jsonObject(with: Data(run.output.utf8))) as? [String: Any] ?? [:]
    return (run.status, json)
  }

  /// After the attack: the fold gives the victim exactly its honest points and nothing the
  /// accomplice did not earn honestly; every honest counter still syncs and agrees with the fold.
  func expectNothingMintedAndEveryoneSyncs(_ label: String, accompliceAtMost: Int64 = 80) throws {
    let (fold, _) = try LedgerFold.fold(path: f.ledger.path)
    #expect(fold.accounts[victim]?.balance == 160, "\(label): the victim's balance")
    #expect((fold.accounts[accomplice]?.balance ?? 0) <= accompliceAtMost, "\(label): the accomplice's balance")
    var ids: [String: Int] = [:]
    _ = try LedgerVerifier.readVerified(path: f.ledger.path, each: { ids[$0.id, default: 0] += 1 })
    #expect(ids.values.allSatisfy { $0 == 1 }, "\(label): an id twice in the ledger")
    for (i, t) in ["T02", "T03"].enumerated() {
      let run = try syncChild(t, at: Self.day2.adding(seconds: 600 + Int64(i)))
      #expect(run.status == 0, "\(label): \(t)'s sync")
      #expect(try f.balances(t)[victim] == 160, "\(label): \(t) shows the victim's honest balance")
      #expect(try f.cache(t).consistencyProblems().isEmpty)
    }
  }
}

@Suite("Attacks with a terminal's key and write access: nothing minted, lost or doubled")
struct AttackTableTests {
  /// Outbox edits of the attacker's cache, each refused entry by entry by the admission.
  static let outboxEdits: [(name: String, sql: String)] = [
    (
      "an earn of 999 points on amount 0",
      "UPDATE entry SET points = 999, amount = 0 WHERE kind = 'earn' AND origin = 'local'"
    ),
    ("an earn's points raised", "UPDATE entry SET points = points * 1000 WHERE kind = 'earn' AND origin = 'local'"),
    ("an enrolment carrying 5 000 points", "UPDATE entry SET points = 5000 WHERE kind = 'enroll' AND origin = 'local'"),
    (
      "an earn credited to another shop's customer",
      "UPDATE entry SET accountId = 'VICTIM' WHERE kind = 'earn' AND origin = 'local'"
    ),
    ("an earn dated in 2150", "UPDATE entry SET at = 5680281600 WHERE kind = 'earn' AND origin = 'local'"),
    ("an earn dated in 1990", "UPDATE entry SET at = 631152000 WHERE kind = 'earn' AND origin = 'local'"),
    (
      "an earn on another program version",
      "UPDATE entry SET programVersion = 99 WHERE kind = 'earn' AND origin = 'local'"
    ),
    ("an earn with a forged basis", "UPDATE entry SET basis = 1 WHERE kind = 'earn' AND origin = 'local'"),
    ("an earn at another tier", "UPDATE entry SET tier = 'Gold' WHERE kind = 'earn' AND origin = 'local'"),
    (
      "an earn with another return window",
      "UPDATE entry SET pendingDays = 7 WHERE kind = 'earn' AND origin = 'local'"
    ),
    (
      "an earn replayed under another terminal's receipt",
      "UPDATE entry SET receipt = 'T02/R100', id = 'earn-T02/R100x' WHERE kind = 'earn' AND origin = 'local'"
    ),
  ]

  /// The minting fake sale on a chain whose program bounds a purchase: the attacker's counter
  /// refuses it, so the attacker edits the bounds out of its cache's copy of the program and
  /// records 200 lines of 10^11 minor units; HQ's audit re-derives the earn by the program HQ
  /// published and refuses it, and nothing is minted.
  @Test func aFakeSaleBeyondTheProgramsPurchaseBoundIsRefusedByHQ() async throws {
    let chain = try await AttackedChain()
    let f = chain.f
    let limits = #""offlineRedeemPointsPerDay": 2000}"#
    let bounded = ChainFixture.program.replacingOccurrences(of: "\"version\": 1,", with: "\"version\": 2,")
      .replacingOccurrences(of: limits, with: #""offlineRedeemPointsPerDay": 2000, "maxPurchaseAmount": 500000}"#)
    #expect(bounded.contains("maxPurchaseAmount"))
    let at = try chain.publish(bounded)
    let t1 = try f.cache("T01")
    let lines = (0..<200).map { _ in PurchaseLine(category: "fuel", amount: 100_000_000_000) }
    let sale = OperationContext(terminal: "T01", operator: "x", at: at.adding(seconds: 120))
    let refused = #expect(throws: RuleError.self) {
      try t1.earn(card: chain.accompliceCard, lines: lines, receipt: "R666", context: sale)
    }
    #expect(refused?.message.contains("more than one may be") == true, "\(String(describing: refused))")
    // The attacker takes the bound out of its own copy of the program and records the sale.
    let unbounded = bounded.replacingOccurrences(of: #", "maxPurchaseAmount": 500000"#, with: "")
    try chain.edit("UPDATE program SET json = ?", [unbounded])
    let minted = try f.cache("T01").earn(card: chain.accompliceCard, lines: lines, receipt: "R666", context: sale)
    #expect(minted.points > 1_000_000_000, "the counter recorded the fake sale")
    let run = try chain.syncChild("T01", at: AttackedChain.day2)
    #expect(run.status == 3, "synced, with the fake sale refused by HQ (exit 3)")
    let reasons = try f.cache("T01").refusedByHQ()
    #expect(reasons.contains { $0.id == "earn-T01/R666" && $0.reason.contains("more than one may be") }, "\(reasons)")
    try chain.expectNothingMintedAndEveryoneSyncs("fake sale beyond the bound")
  }

  /// The referral farm on a chain whose program bounds a referrer's bonuses (2 in any 30 days):
  /// the attacker's counter pays nothing beyond the bound, so the attacker edits the bound out of
  /// its cache's copy of the program, enrols five fake cards naming the accomplice as referrer,
  /// each with a 20.00 purchase, and syncs. HQ's audit, counting the chain's referrer bonuses,
  /// pays the accomplice the bound's two and refuses the other three with the bound's name; each
  /// fake referee keeps its own bonus.
  @Test func aReferralFarmIsPaidAtMostTheBoundsReferrerBonusesByHQ() async throws {
    let chain = try await AttackedChain()
    let f = chain.f
    let referral = #""minFirstPurchase": 2000}"#
    let bound = #", "maxReferralsPerReferrer": 2, "periodDays": 30"#
    let bounded = ChainFixture.program.replacingOccurrences(of: "\"version\": 1,", with: "\"version\": 2,")
      .replacingOccurrences(of: referral, with: #""minFirstPurchase": 2000"# + bound + "}")
    #expect(bounded.contains("maxReferralsPerReferrer"))
    let at = try chain.publish(bounded)
    try chain.edit("UPDATE program SET json = ?", [bounded.replacingOccurrences(of: bound, with: "")])
    let t1 = try f.cache("T01")
    let fakes = Array(ChainFixture.cards[10..<15])
    for (i, card) in fakes.enumerated() {
      let time = at.adding(seconds: 120 + 60 * Int64(i))
      _ = try t1.enroll(
        card: card, referrer: chain.accompliceCard, context: .init(terminal: "T01", operator: "x", at: time))
      let earned = try t1.earn(
        card: card, lines: [PurchaseLine(category: "other", amount: 2_000)], receipt: "F\(i)",
        context: .init(terminal: "T01", operator: "x", at: time.adding(seconds: 30)))
      #expect(earned.referralBonuses[chain.accomplice] == 200, "the edited counter pays every referrer bonus")
    }
    let run = try chain.syncChild("T01", at: AttackedChain.day2)
    #expect(run.status == 3, "synced, with the farm's extra referrer bonuses refused by HQ (exit 3)")
    let refused = try f.cache("T01").refusedByHQ()
    #expect(refused.count == 3, "\(refused)")
    #expect(refused.allSatisfy { $0.reason.contains("referral.maxReferralsPerReferrer is 2") }, "\(refused)")
    let (fold, _) = try LedgerFold.fold(path: f.ledger.path)
    #expect(
      fold.accounts[chain.accomplice]?.balance == Int64(80 + 2 * 200), "its own purchase and the bound's two bonuses")
    for card in fakes {
      #expect(
        fold.accounts[Identities.accountID(enrolledWith: card)]?.balance == Int64(20 + 100), "the referee's own bonus")
    }
    try chain.expectNothingMintedAndEveryoneSyncs("referral farm", accompliceAtMost: 80 + 2 * 200)
  }

  @Test(arguments: 0..<outboxEdits.count)
  func anEditedOutboxEntryIsRefusedAndKept(index: Int) async throws {
    let (name, sql) = Self.outboxEdits[index]
    let chain = try await AttackedChain()
    try chain.edit(sql.replacingOccurrences(of: "'VICTIM'", with: "'\(chain.victim)'"))
    let run = try chain.syncChild("T01", at: AttackedChain.day2)
    #expect(run.status == 3, "\(name): synced, with entries refused by HQ (exit 3)")
    let refused = run.summary["refusedByHQ"] as? [String] ?? []
    #expect(
      refused.count >= 1 && refused.allSatisfy { $0.hasPrefix("earn-") || $0.hasPrefix("enroll-") },
      "\(name): \(refused)")
    // Kept in the cache with the reason, out of the outbox, not marked synced.
    let cache = try chain.f.cache("T01")
    #expect(try cache.outbox().isEmpty, "\(name): never retried blindly")
    let again = try chain.syncChild("T01", at: AttackedChain.day2.adding(seconds: 60))
    #expect((again.summary["sent"] as? Int) == 0)
    // HQ's report lists what its admission refused (never in the ledger).
    let report = try LedgerReport.build(path: chain.f.ledger.path, from: nil, until: nil, asOf: nil)
    #expect(report.refusedAtAdmission.count == refused.count, "\(name): \(report.refusedAtAdmission)")
    #expect(report.refused.isEmpty, "nothing refused is in the file")
    try chain.expectNothingMintedAndEveryoneSyncs(name)
  }

  @Test func aReferralBonusToAnotherShopsCustomerIsRefused() async throws {
    let chain = try await AttackedChain()
    try chain.edit(
      """
      INSERT INTO entry (id, kind, at, terminal, operator, accountId, points, reference, origin, synced, basis)
      SELECT 'referral-forged', 'referralBonus', at + 1, terminal, 'x', ?, 777777, ?, 'local', 0, basis
      FROM entry WHERE kind = 'earn' AND origin = 'local'
      """, [chain.victim, chain.victim])
    let run = try chain.syncChild("T01", at: AttackedChain.day2)
    #expect((run.summary["refusedByHQ"] as? [String])?.contains { $0.hasPrefix("referral-forged") } == true)
    try chain.expectNothingMintedAndEveryoneSyncs("referral bonus")
  }

  @Test func aCardLinkedToAnAccompliceIsRefused() async throws {
    let chain = try await AttackedChain()
    // The victim's card "linked" to the accomplice's account: the victim's next purchases would
    // credit the accomplice.
    try chain.edit(
      """
      INSERT INTO entry (id, kind, at, terminal, operator, accountId, card, points, reference, origin, synced, basis)
      SELECT 'link-' || ?, 'link', at + 1, terminal, 'x', accountId, ?, 0, ?, 'local', 0, basis
      FROM entry WHERE kind = 'earn' AND origin = 'local'
      """, [chain.victimCard, chain.victimCard, chain.accompliceCard])
    let run = try chain.syncChild("T01", at: AttackedChain.day2)
    let refused = run.summary["refusedByHQ"] as? [String] ?? []
    #expect(refused.contains { $0.contains("already belongs") }, "\(refused)")
    let (fold, _) = try LedgerFold.fold(path: chain.f.ledger.path)
    #expect(fold.accounts[chain.accomplice]?.cards.contains(chain.victimCard) == false)
    try chain.expectNothingMintedAndEveryoneSyncs("link")
  }

  @Test func aStandAloneProgramCannotMintIntoTheChain() async throws {
    let chain = try await AttackedChain()
    // A fresh cache for T03, a generous local program, an earn, then a sync into the chain.
    let path = chain.f.directory.appendingPathComponent("mint.db").path
    let generous = ChainFixture.program.replacingOccurrences(
      of: "\"pointsPerUnit\": \"1\"", with: "\"pointsPerUnit\": \"1000000\"")
    #expect(generous != ChainFixture.program)
    let programFile = chain.f.directory.appendingPathComponent("generous.json").path
    try generous.write(toFile: programFile, atomically: true, encoding: .utf8)
    let t = BuiltProducts.loyaltyTerminal
    let base = ["--cache", path, "--terminal", "T03", "--at", "2026-11-03T10:00:00Z"]
    #expect(try runToCompletion(t, ["program", "load", programFile] + base).status == 0)
    #expect(try runToCompletion(t, ["enroll", chain.accompliceCard] + base).status == 0)
    let earned = try runToCompletion(t, ["earn", chain.accompliceCard, "--line", "fresh:100"] + base)
    #expect(earned.output.contains("+"), "\(earned.output)\(earned.errors)")
    let run = try runToCompletion(
      t,
      [
        "sync", "--cache", path, "--ledger", chain.f.ledger.path, "--terminal", "T03", "--key", chain.f.keyPath("T03"),
        "--at", "2026-11-03T11:00:00Z", "--json",
      ])
    let summary = (try? JSONSerialization.jsonObject(with: Data(run.output.utf8))) as? [String: Any] ?? [:]
    #expect((summary["sent"] as? Int) == 0, "\(run.output)\(run.errors)")
    #expect((summary["refusedByHQ"] as? [String])?.count == 2, "\(run.output)")
    try chain.expectNothingMintedAndEveryoneSyncs("stand-alone program")
  }

  /// Written straight into the file with the attacker's valid key, past the admission: every
  /// reader leaves it out alike, `ledger verify` names it, no sync halts.
  @Test(arguments: [Int64(999), Int64.max, Int64.min])
  func aBatchForgedIntoTheFileIsLeftOutByEveryReader(points: Int64) async throws {
    let chain = try await AttackedChain()
    try await chain.f.sync("T01", at: AttackedChain.day2)  // the honest part lands first
    let key = try LedgerKey.load(from: chain.f.keyPath("T01"))
    try chain.f.ledger.withExclusiveLock { locked in
      let state = try locked.audited(repairing: false).state
      var forged = Entry(
        kind: .earn, id: "earn-T01/FORGED", at: AttackedChain.day2, terminal: "T01", account: chain.accomplice,
        card: chain.accompliceCard, points: points, amount: 100, currency: "EUR", receipt: "T01/FORGED",
        lines: [PurchaseLine(category: "fresh", amount: 100)], version: 1, tier: "Bronze", basis: state.lastSeq)
      var s = state
      _ = try locked.append([LedgerEntry(forged)], after: &s, signer: "T01", key: key, at: AttackedChain.day2)
      forged.points = 0
    }
    let verify = try runToCompletion(
      BuiltProducts.loyaltyHQ, ["ledger", "verify", "--ledger", chain.f.ledger.path])
    #expect(verify.status == 1 && verify.errors.contains("earn-T01/FORGED"), "\(verify.errors)")
    let report = try LedgerReport.build(path: chain.f.ledger.path, from: nil, until: nil, asOf: nil)
    #expect(report.refused.contains { $0.contains("earn-T01/FORGED") })
    try chain.expectNothingMintedAndEveryoneSyncs("forged batch")
  }
}

extension AttackTableTests {
  /// One counter's clock (or `--at`) far ahead must not freeze the others: a seal's time is held
  /// to its own writer's clock only.
  @Test func aFutureDatedSealCannotFreezeOtherCounters() async throws {
    let chain = try await AttackedChain()
    let future = UTCInstant(parsing: "2099-12-31T00:00:00Z")!
    let run = try runToCompletion(
      BuiltProducts.loyaltyTerminal,
      [
        "sync", "--cache", chain.f.cachePath("T01"), "--ledger", chain.f.ledger.path, "--terminal", "T01", "--key",
        chain.f.keyPath("T01"), "--at", future.description,
      ])
    #expect(run.status == 1 && run.errors.contains("ahead of this machine's clock"), "\(run.errors)")
    // Past that check (the admission run with the attacker's clock): T01's batch sealed in 2099.
    let key = try LedgerKey.load(from: chain.f.keyPath("T01"))
    let outbox = try chain.f.cache("T01").outbox()
    try chain.f.ledger.withExclusiveLock { locked in
      var audited = try locked.audited(repairing: false)
      let admission = try locked.admit(outbox, to: &audited, signer: "T01", key: key, at: future)
      #expect(admission.refused.isEmpty && admission.appended.count == outbox.count)
    }
    // T02 learns it, then records an honest purchase and syncs: admitted.
    try await chain.f.sync("T02", at: AttackedChain.day2)
    _ = try chain.f.cache("T02").earn(
      card: chain.victimCard, lines: [PurchaseLine(category: "fresh", amount: 1_000)], receipt: "R101",
      context: .init(terminal: "T02", operator: "x", at: AttackedChain.day2.adding(seconds: 600)))
    let summary = try await chain.f.sync("T02", at: AttackedChain.day2.adding(seconds: 3600))
    #expect(summary.sent == 1 && summary.refusedByHQ.isEmpty, "\(summary.refusedByHQ)")
  }
}

@Suite("Honest shops lose nothing")
struct HonestConflictTests {
  @Test func twoTillsUsingOneReceiptNumberAreTwoReceipts() async throws {
    let f = try ChainFixture(terminals: 2)
    for t in f.terminals { try await f.sync(t, at: ChainFixture.start.adding(seconds: 60)) }
    let card = ChainFixture.cards[0]
    for t in f.terminals {
      let cache = try f.cache(t)
      _ = try cache.enroll(card: card, referrer: nil, context: f.context(t, 0))
      _ = try cache.earn(
        card: card, lines: [PurchaseLine(category: "fresh", amount: 1_000)], receipt: "R100",
        context: f.context(t, 60))
    }
    for (i, t) in (f.terminals + f.terminals).enumerated() {
      let s = try await f.sync(t, at: ChainFixture.start.adding(days: 2).adding(seconds: Int64(i)))
      #expect(s.refusedByHQ.isEmpty && s.excluded.isEmpty, "\(s.refusedByHQ) \(s.excluded)")
    }
    let account = Identities.accountID(enrolledWith: card)
    let (fold, _) = try LedgerFold.fold(path: f.ledger.path)
    #expect(fold.accounts[account]?.balance == 80, "both purchases earned: T01/R100 and T02/R100")
    #expect(try f.balances("T01") == f.balances("T02"))
  }

  @Test func twoOfflineRefundsOfOneReceiptAreBothKeptAndTheExcessListed() async throws {
    let f = try ChainFixture(terminals: 2)
    for t in f.terminals { try await f.sync(t, at: ChainFixture.start.adding(seconds: 60)) }
    let card = ChainFixture.cards[0]
    let t1 = try f.cache("T01")
    _ = try t1.enroll(card: card, referrer: nil, context: f.context("T01", 0))
    _ = try t1.earn(
      card: card, lines: [PurchaseLine(category: "fresh", amount: 1_000)], receipt: "R7", context: f.context("T01", 60))
    try await f.sync("T01", at: ChainFixture.start.adding(days: 1).adding(seconds: 3600))
    try await f.sync("T02", at: ChainFixture.start.adding(days: 1).adding(seconds: 3700))
    // Offline, both counters refund the whole receipt.
    let later = ChainFixture.start.adding(days: 1).adding(seconds: 7200)
    _ = try t1.refund(receipt: "R7", amount: 1_000, context: .init(terminal: "T01", operator: "x", at: later))
    _ = try f.cache("T02").refund(
      receipt: "T01/R7", amount: 1_000, card: card, context: .init(terminal: "T02", operator: "x", at: later))
    for (i, t) in (f.terminals + f.terminals).enumerated() {
      let s = try await f.sync(t, at: ChainFixture.start.adding(days: 2).adding(seconds: Int64(i)))
      #expect(s.refusedByHQ.isEmpty, "\(s.refusedByHQ)")
    }
    let report = try LedgerReport.build(path: f.ledger.path, from: nil, until: nil, asOf: nil)
    #expect(report.overReversals.map(\.receipt) == ["T01/R7"])
    #expect(report.overReversals.first?.excessPoints == 40 && report.overReversals.first?.excessAmount == 1_000)
    let account = Identities.accountID(enrolledWith: card)
    #expect(report.overdrawn[account] == -40, "both reversals kept: the account owes the excess")
    #expect(try f.balances("T01") == f.balances("T02"))
  }
}

import Foundation
import HQBackOffice
import LedgerFormat
import LedgerStore
import LoyaltyCore
import NightlySync
import PointsCache
import TestSupport
import Testing

/// Issue 21, "guarded appends": `ledger adjust` by card, only on a known account and not into an
/// overdraft unless allowed; `ledger expire` refuses a cutoff in the future unless forced; dry
/// runs print exactly what would be appended and leave the ledger byte for byte as it was.
@Suite("HQ operator: guarded appends and dry runs")
struct HQGuardedAppendTests {
  static let now = ChainFixture.start.adding(days: 3)

  func cli(_ f: ChainFixture, _ arguments: [String], at: UTCInstant = now) throws -> (
    status: Int32, output: String, errors: String
  ) {
    try runToCompletion(
      BuiltProducts.loyaltyHQ,
      ["ledger"] + arguments + [
        "--ledger", f.ledger.path, "--hq-key", f.directory.appendingPathComponent("hq.key").path, "--at",
        at.description,
      ])
  }

  func json(_ text: String) -> [String: Any] {
    (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
  }

  func bytes(_ f: ChainFixture) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: f.ledger.path)) }

  func balance(_ f: ChainFixture, _ account: String) throws -> Int64? {
    try LedgerFold.fold(path: f.ledger.path).0.accounts[account]?.balance
  }

  /// T01 enrols card 0, links card 1 to it and earns on card 1; T02, which has not synced since,
  /// earns on card 1 provisionally (points `ledger settle-provisional` moves), all synced.
  func customer() async throws -> (ChainFixture, account: String, earned: Int64) {
    let f = try ChainFixture(terminals: 2)
    for t in f.terminals { try await f.sync(t, at: ChainFixture.start.adding(seconds: 60)) }
    let t1 = try f.cache("T01")
    let fresh = [PurchaseLine(category: "fresh", amount: 2_500)]
    _ = try t1.enroll(card: ChainFixture.cards[0], referrer: nil, context: f.context("T01", 0))
    _ = try t1.link(card: ChainFixture.cards[1], to: ChainFixture.cards[0], context: f.context("T01", 60))
    let earned = try t1.earn(card: ChainFixture.cards[1], lines: fresh, receipt: "R1", context: f.context("T01", 120))
    _ = try f.cache("T02").earn(
      card: ChainFixture.cards[1], lines: fresh, receipt: "P1", provisional: true, context: f.context("T02", 240))
    try await f.sync("T01", at: ChainFixture.start.adding(days: 2))
    try await f.sync("T02", at: ChainFixture.start.adding(days: 2).adding(seconds: 60))
    return (f, Identities.accountID(enrolledWith: ChainFixture.cards[0]), earned.points)
  }

  @Test func adjustByCardCreditsTheCardsAccount() async throws {
    let (f, account, earned) = try await customer()
    let credit = try cli(f, ["adjust", "--card", ChainFixture.cards[1], "25", "--reason", "goodwill"])
    #expect(credit.status == 0, "\(credit.errors)")
    #expect(credit.output.hasPrefix("adjusted \(account) by +25 at seq"), "\(credit.output)")
    let debit = try cli(f, ["adjust", "--card", ChainFixture.cards[1], "-5", "--reason", "typo"])
    #expect(debit.status == 0 && debit.output.contains("balance \(earned + 20)"), "\(debit.output)\(debit.errors)")
    #expect(try balance(f, account) == earned + 20)
  }

  @Test func anAccountTheLedgerDoesNotKnowIsRefused() async throws {
    let (f, _, _) = try await customer()
    let before = try bytes(f)
    let run = try cli(f, ["adjust", "acct-000000000000000000000000", "10", "--reason", "typo"])
    #expect(run.status == 1 && run.output.isEmpty)
    #expect(run.errors.split(separator: "\n").count == 1, "\(run.errors)")
    #expect(
      run.errors.contains("is not in the ledger") && run.errors.contains("ledger account --card"), "\(run.errors)")
    let asJSON = try cli(f, ["adjust", "acct-000000000000000000000000", "10", "--reason", "typo", "--json"])
    #expect(json(asJSON.output)["reason"] as? String == "unknownAccount", "\(asJSON.output)")
    let card = try cli(f, ["adjust", "--card", ChainFixture.cards[9], "10", "--reason", "typo"])
    #expect(card.status == 1 && card.errors.contains("is not in the ledger"), "\(card.errors)")
    #expect(try bytes(f) == before)
  }

  @Test func anOverdraftIsRefusedUnlessAllowed() async throws {
    let (f, account, earned) = try await customer()
    let before = try bytes(f)
    let refused = try cli(f, ["adjust", account, "-1000", "--reason", "chargeback"])
    #expect(refused.status == 1, "\(refused.output)")
    #expect(refused.errors.contains("would overdraw it: its balance is \(earned) points"), "\(refused.errors)")
    #expect(refused.errors.contains("--allow-overdraw"))
    #expect(try bytes(f) == before)
    let allowed = try cli(f, ["adjust", account, "-1000", "--reason", "chargeback", "--allow-overdraw"])
    #expect(allowed.status == 0 && allowed.output.contains("(overdrawn)"), "\(allowed.output)\(allowed.errors)")
    #expect(try balance(f, account) == earned - 1000)
  }

  /// The night: `--as-of 2027-12-05` typed for 2026-12-05 would have expired every balance.
  @Test func aWrongYearExpiryIsRefusedAndForced() async throws {
    let (f, account, earned) = try await customer()
    let before = try bytes(f)
    let today = UTCInstant(parsing: "2026-12-05T00:00:00Z")!
    let refused = try cli(f, ["expire", "--as-of", "2027-12-05T00:00:00Z"], at: today)
    #expect(refused.status == 1, "\(refused.output)")
    #expect(refused.errors.split(separator: "\n").count == 1, "\(refused.errors)")
    #expect(refused.errors.contains("--as-of 2027-12-05T00:00:00Z is 365 days after now (2026-12-05T00:00:00Z)"))
    #expect(refused.errors.contains("wrong year") && refused.errors.contains("--force"), "\(refused.errors)")
    #expect(try bytes(f) == before)
    let past = try cli(f, ["expire", "--as-of", "2026-12-01T00:00:00Z"], at: today)
    #expect(past.status == 0 && past.output.hasPrefix("expired 0 points in 0 accounts"), "\(past.output)")
    let forced = try cli(f, ["expire", "--as-of", "2027-12-05T00:00:00Z", "--force"], at: today)
    #expect(forced.status == 0 && forced.output.hasPrefix("expired "), "\(forced.output)\(forced.errors)")
    #expect(try balance(f, account) == 0)
  }

  /// Each dry run leaves the ledger byte for byte as it was and lists what the real run then
  /// appends: the same entries at the same seqs (an adjustment's id has a random part).
  @Test func dryRunsAppendNothingAndShowWhatWouldBe() async throws {
    let (f, account, earned) = try await customer()
    let later = ChainFixture.start.adding(days: 400)
    let runs: [([String], UTCInstant)] = [
      (["adjust", "--card", ChainFixture.cards[0], "25", "--reason", "goodwill"], Self.now),
      (["settle-provisional"], ChainFixture.start.adding(days: 20)),
      (["expire", "--as-of", later.description], later),
    ]
    for (arguments, at) in runs {
      let before = try bytes(f)
      let text = try f.ledger.withExclusiveLock { _ in try cli(f, arguments + ["--dry-run"], at: at) }
      let dry = try cli(f, arguments + ["--dry-run", "--json"], at: at)
      #expect(text.status == 0 && dry.status == 0, "\(arguments): \(text.errors)\(dry.errors)")
      #expect(text.output.hasPrefix("dry run, nothing appended:"), "\(text.output)")
      #expect(try bytes(f) == before, "\(arguments)")
      let planned = json(dry.output)["entries"] as? [[String: Any]] ?? []
      #expect(!planned.isEmpty && json(dry.output)["dryRun"] as? Bool == true, "\(dry.output)")
      let real = try cli(f, arguments, at: at)
      #expect(real.status == 0, "\(real.errors)")
      var appended: [LedgerEntry] = []
      _ = try LedgerVerifier.readVerified(path: f.ledger.path, each: { if $0.kind != .seal { appended.append($0) } })
      let tail = appended.suffix(planned.count)
      #expect(tail.map { Int($0.seq) } == planned.map { $0["seq"] as? Int ?? -1 }, "\(arguments)")
      #expect(tail.map { Int($0.points ?? 0) } == planned.map { $0["points"] as? Int ?? 0 }, "\(arguments)")
      #expect(tail.map(\.account) == planned.map { $0["account"] as? String }, "\(arguments)")
      if arguments[0] != "adjust" { #expect(tail.map(\.id) == planned.map { $0["id"] as? String ?? "" }) }
      for line in tail { #expect(text.output.contains("seq \(line.seq)  \(line.at)  \(line.kind.rawValue)")) }
    }
    #expect(try balance(f, account) == 0, "earned \(earned), +25, the provisional points, all expired")
  }
}

import Foundation
import HQBackOffice
import LedgerFormat
import LedgerStore
import LoyaltyCore
import NightlySync
import PointsCache
import TestSupport
import Testing

/// Issue 21, "see the chain": `ledger status` and `ledger account`, through the built binary,
/// while another writer holds the ledger's lock (as `hq serve` may).
@Suite("HQ operator: ledger status and account look-up")
struct HQOperatorLookupTests {
  static let day1 = ChainFixture.start.adding(days: 1)

  /// HQ's binary, `loyalty-hq`, run to its end.
  func cli(_ arguments: [String]) throws -> (status: Int32, output: String, errors: String) {
    try runToCompletion(BuiltProducts.loyaltyHQ, arguments)
  }

  func json(_ text: String) -> [String: Any] {
    (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
  }

  /// Three terminals: T01 sells while HQ revokes it and registers a new key, so its sale in the gap
  /// is refused at admission; T02 enrols a card; HQ revokes T03 with `ledger revoke-terminal`.
  func chain() async throws -> (ChainFixture, newKey: LedgerKey) {
    let f = try ChainFixture(terminals: 3)
    for t in f.terminals { try await f.sync(t, at: ChainFixture.start.adding(seconds: 60)) }
    let card = ChainFixture.cards[0]
    _ = try f.cache("T01").enroll(card: card, referrer: nil, context: f.context("T01", 0))
    try await f.sync("T01", at: Self.day1.adding(seconds: 3600))
    let revoked = Self.day1.adding(seconds: 10_000)
    try f.ledger.append(
      [LedgerEntry(kind: .terminalRevoke, id: "revoke-T01-x", at: revoked, terminal: "HQ", ref: "T01")],
      signer: "HQ", key: f.hq, at: revoked)
    try FileManager.default.removeItem(atPath: f.keyPath("T01"))
    let key = try LedgerKey.generate(at: f.keyPath("T01"))
    let again = revoked.adding(seconds: 5_000)
    try f.ledger.append(
      [
        LedgerEntry(
          kind: .terminalRegister, id: "register-T01-again", at: again, terminal: "HQ", ref: "T01",
          data: key.publicKeyBase64)
      ], signer: "HQ", key: f.hq, at: again)
    _ = try f.cache("T01").earn(
      card: card, lines: [PurchaseLine(category: "fresh", amount: 1_000)], receipt: "R2",
      context: f.context("T01", 12_000))
    await #expect(try f.sync("T01", at: Self.day1.adding(seconds: 20_000)).refusedByHQ.count == 1)
    _ = try f.cache("T02").enroll(card: ChainFixture.cards[1], referrer: nil, context: f.context("T02", 0))
    try await f.sync("T02", at: Self.day1.adding(seconds: 20_100))
    let revoke = try cli(
      [
        "ledger", "revoke-terminal", "T03", "--ledger", f.ledger.path, "--hq-key",
        f.directory.appendingPathComponent("hq.key").path, "--at", Self.day1.adding(seconds: 30_000).description,
      ])
    #expect(revoke.status == 0, "\(revoke.errors)")
    return (f, key)
  }

  @Test func statusShowsTheLedgerARevokedTerminalAndRefusals() async throws {
    let (f, newKey) = try await chain()
    let summary = try LedgerVerifier().verify(path: f.ledger.path)
    let size = try FileManager.default.attributesOfItem(atPath: f.ledger.path)[.size] as? Int
    // Read-only: it runs while a writer holds the lock.
    let (text, object) = try f.ledger.withExclusiveLock { _ in
      (
        try cli(["ledger", "status", "--ledger", f.ledger.path]),
        try cli(["ledger", "status", "--ledger", f.ledger.path, "--json"])
      )
    }
    #expect(text.status == 0, "\(text.errors)")
    let out = text.output
    #expect(out.contains("\(summary.entries) entries") && out.contains("\(size ?? -1) bytes"), "\(out)")
    #expect(out.contains("head \(summary.chainHead)"))
    #expect(out.contains("HQ key \(f.hq.fingerprint)"))
    #expect(out.contains("T03  REVOKED since \(Self.day1.adding(seconds: 30_000))"), "\(out)")
    #expect(out.contains("T01  registered since \(Self.day1.adding(seconds: 15_000))  key \(newKey.fingerprint)"))
    #expect(out.contains("refused 1 (last \(Self.day1.adding(seconds: 20_000)))"), "\(out)")
    #expect(out.contains("last downloads: not recorded on disk"))
    let o = json(object.output)
    #expect(o["bytes"] as? Int == size && o["head"] as? String == summary.chainHead)
    #expect(o["hqKeyFingerprint"] as? String == f.hq.fingerprint)
    let (fold, _) = try LedgerFold.fold(path: f.ledger.path)
    #expect(o["pointsLiability"] as? Int == Int(fold.balances.reduce(0) { $0 + max(0, $1.balance) }))
    let terminals = (o["terminals"] as? [[String: Any]] ?? []).reduce(into: [String: [String: Any]]()) {
      $0[$1["terminal"] as? String ?? ""] = $1
    }
    #expect(terminals.keys.sorted() == ["T01", "T02", "T03"])
    #expect(terminals["T03"]?["status"] as? String == "revoked")
    #expect(terminals["T01"]?["refusedAtAdmission"] as? Int == 1)
    #expect(terminals["T02"]?["refusedAtAdmission"] as? Int == 0)
    #expect((terminals["T02"]?["lastBatch"] as? [String: Any])?["entries"] as? Int == 1)
    #expect(terminals["T03"]?["lastBatch"] is NSNull)
    #expect(terminals["T02"]?["keyFingerprint"] as? String == f.chain.keys["T02"]?.fingerprint)
    #expect(terminals["T02"]?["lastDownload"] is NSNull)
  }

  /// T01 enrols card 0, links card 1 and blocks card 0; a purchase on card 1 is in its 14-day return
  /// window; T02, which has not synced since, earns on card 1 provisionally.
  func customer() async throws -> (ChainFixture, account: String, earned: Int64, provisional: Int64) {
    let f = try ChainFixture(terminals: 2)
    try f.publishProgram(pendingDays: 14)
    for t in f.terminals { try await f.sync(t, at: ChainFixture.start.adding(seconds: 60)) }
    let (c0, c1) = (ChainFixture.cards[0], ChainFixture.cards[1])
    let t1 = try f.cache("T01")
    _ = try t1.enroll(card: c0, referrer: nil, context: f.context("T01", 0))
    _ = try t1.link(card: c1, to: c0, context: f.context("T01", 60))
    let fresh = [PurchaseLine(category: "fresh", amount: 2_500)]
    let earned = try t1.earn(card: c1, lines: fresh, receipt: "R1", context: f.context("T01", 120))
    try t1.block(card: c0, context: f.context("T01", 180))
    let provisional = try f.cache("T02").earn(
      card: c1, lines: fresh, receipt: "P1", provisional: true, context: f.context("T02", 240))
    try await f.sync("T01", at: ChainFixture.start.adding(days: 2))
    try await f.sync("T02", at: ChainFixture.start.adding(days: 2).adding(seconds: 60))
    return (f, Identities.accountID(enrolledWith: c0), earned.points, provisional.points)
  }

  @Test func accountByCardShowsCardsPendingPointsAndHistory() async throws {
    let (f, account, earned, provisional) = try await customer()
    let (c0, c1) = (ChainFixture.cards[0], ChainFixture.cards[1])
    let at = ChainFixture.start.adding(days: 3).description
    let (text, object, byAccount) = try f.ledger.withExclusiveLock { _ in
      (
        try cli(["ledger", "account", "--card", c1, "--ledger", f.ledger.path, "--at", at]),
        try cli(["ledger", "account", "--card", c1, "--ledger", f.ledger.path, "--at", at, "--json"]),
        try cli(["ledger", "account", "--account", account, "--ledger", f.ledger.path, "--at", at, "--json"])
      )
    }
    #expect(text.status == 0, "\(text.errors)")
    let out = text.output
    #expect(
      out.hasPrefix("account \(account): balance \(earned) points (0 available, \(earned) pending), Bronze"), "\(out)")
    #expect(out.contains("cards: \(c0) (BLOCKED), \(c1)"), "\(out)")
    #expect(out.contains("card \(c1): \(provisional) points provisional on \(Identities.accountID(enrolledWith: c1))"))
    let history = out.components(separatedBy: "\n").drop { !$0.hasPrefix("history") }.dropFirst().filter { !$0.isEmpty }
    #expect(history.count == 4, "\(out)")
    #expect(
      history.map { $0.split(separator: " ", omittingEmptySubsequences: true)[1] } == [
        "enroll", "link", "earn", "block",
      ])
    #expect(history.contains { $0.contains("earn  +\(earned)  T01  card \(c1)  receipt T01/R1") }, "\(out)")
    let o = json(object.output)
    #expect(o["account"] as? String == account && o["pending"] as? Int == Int(earned) && o["available"] as? Int == 0)
    #expect((o["cards"] as? [[String: Any]])?.map { $0["blocked"] as? Bool } == [true, false])
    #expect((o["history"] as? [[String: Any]])?.last?["kind"] as? String == "block")
    let a = json(byAccount.output)
    #expect(a["balance"] as? Int == Int(earned) && a["history"] as? [[String: Any]] != nil)
    let later = try cli(
      [
        "ledger", "account", "--card", c1, "--ledger", f.ledger.path, "--at",
        ChainFixture.start.adding(days: 20).description,
      ])
    #expect(later.output.hasPrefix("account \(account): balance \(earned) points, Bronze"), "\(later.output)")
    let unknown = try cli(["ledger", "account", "--card", ChainFixture.cards[9], "--ledger", f.ledger.path])
    #expect(unknown.status == 1 && unknown.errors.contains("card \(ChainFixture.cards[9]) is not in the ledger"))
  }
}

import Foundation
import GRDB
import HQClient
import HTTPRetry
import LedgerFormat
import Logging
import LoyaltyCore
import PointsCache
import SyncProtocol
import TestSupport
import Testing

/// A card looked up over HQ's service (`GET /v1/account`): HQ's signed answer, taken by the real
/// command; an answer altered on the way, and a request that is no look-up, refused.
@Suite("A card looked up over HQ's service")
struct LookUpServiceTests {
  static let regions = #"{"days": 2, "shops": {"north": ["T01"], "south": ["T02"]}}"#
  static let card = ChainFixture.cards[3]

  /// A chain of two regions over HQ's service: card 3 Silver in the south (12 visits at T02),
  /// T01 in the north synced after it, not holding it.
  func silverInTheSouth(serve extra: [String] = []) async throws -> (ChainFixture, HQServiceProcess) {
    let f = try ChainFixture(terminals: 2, program: ChainFixture.program(regions: Self.regions))
    let hq = try await HQServiceProcess(
      ledger: f.ledger.path, hqKey: f.directory.appendingPathComponent("hq.key").path, extra: extra)
    for t in f.terminals {
      let run = try f.syncChild(t, hq.url, at: ChainFixture.start.adding(seconds: 60))
      #expect(run.status == 0, "\(run.errors)")
    }
    let south = try f.cache("T02")
    _ = try south.enroll(card: Self.card, referrer: nil, context: f.context("T02", 0))
    for s in 0..<12 {
      _ = try south.earn(
        card: Self.card, lines: [PurchaseLine(category: "fresh", amount: 5_000)], receipt: "S\(s)",
        context: f.context("T02", 60 + Int64(s) * 900))
    }
    for t in ["T02", "T01"] {
      let run = try f.syncChild(t, hq.url, at: ChainFixture.start.adding(days: 1).adding(seconds: 20_000))
      #expect(run.status == 0, "\(run.errors)")
    }
    return (f, hq)
  }

  @Test func theRealCommandTakesHQsSignedAnswerAndAnAlteredOneIsRefused() async throws {
    let (f, hq) = try await silverInTheSouth()
    defer { hq.stop() }
    let north = try f.cache("T01")
    let basis = try #require(try north.lookUpQuestion(card: Self.card)).basis

    // HQ's answer, signed; the same answer altered (its balance raised) is not HQ's.
    let remote = try HQConnection(
      baseURL: hq.url, logger: Logger(label: "test"), clock: { .wallClock }, retry: RetryPolicy(waits: []))
    let key = try LedgerKey.load(from: f.keyPath("T01"))
    let answer = try await remote.lookUp(card: Self.card, basis: basis, terminal: "T01", key: key)
    let state = try #require(
      try answer.checked(terminal: "T01", card: Self.card, basis: basis, hqKey: f.hq.publicKeyBase64))
    var raised = state
    let first = try #require(state.lots.lots.first)
    raised.lots = try PointLots(
      lots: [PointLots.Lot(earnedAt: first.earnedAt, expiresAt: first.expiresAt, remaining: first.remaining + 1_000)]
        + state.lots.lots.dropFirst(), deficit: state.lots.deficit)
    var altered = answer
    altered.state = Data(AccountStateEncoding.encode(raised)).base64EncodedString()
    #expect(throws: SyncProtocolError.self) {
      try altered.checked(terminal: "T01", card: Self.card, basis: basis, hqKey: f.hq.publicKeyBase64)
    }
    // Text that is no card, and a basis past HQ's end: refused in words, nothing answered.
    for (card, b) in [("zz", basis), (Self.card, basis + 1_000)] {
      do {
        _ = try await remote.lookUp(card: card, basis: b, terminal: "T01", key: key)
        Issue.record("HQ answered a look-up of \(card) on \(b)")
      } catch let refusal as HQRefusal {
        #expect([400, 416].contains(refusal.status), "\(refusal)")
      }
    }
    await remote.close()

    // The command a cashier's back office runs: the account taken, on its whole state. A key
    // file that does not load, or no cache, is one line, and nothing is made or changed.
    let at = ChainFixture.start.adding(days: 1).adding(seconds: 30_000)
    let missing = f.directory.appendingPathComponent("none.db").path
    for (cache, key, said) in [
      (f.cachePath("T01"), "/nonexistent.key", "cannot be read"), (missing, f.keyPath("T01"), "no cache at"),
    ] {
      let refused = try runToCompletion(
        BuiltProducts.loyaltyTerminal,
        ["look-up", Self.card, "--cache", cache, "--hq", hq.url, "--terminal", "T01", "--key", key])
      #expect(refused.status != 0)
      #expect(refused.errors.contains(said) && !refused.errors.contains("Fatal error"), "\(refused.errors)")
    }
    #expect(!FileManager.default.fileExists(atPath: missing))
    // A counter that syncs over HQ's service does not take an unsigned answer from HQ's file.
    let overFile = try runToCompletion(
      BuiltProducts.loyaltyTerminal,
      [
        "look-up", Self.card, "--cache", f.cachePath("T01"), "--ledger", f.ledger.path, "--terminal", "T01",
        "--key", f.keyPath("T01"), "--at", at.description,
      ])
    #expect(overFile.status != 0 && overFile.errors.contains("look the card up there (--hq URL)"), "\(overFile.errors)")
    #expect(try north.lookedUp().isEmpty)
    let run = try runToCompletion(
      BuiltProducts.loyaltyTerminal,
      [
        "look-up", Self.card, "--cache", f.cachePath("T01"), "--hq", hq.url, "--terminal", "T01", "--key",
        f.keyPath("T01"), "--at", at.description,
      ])
    #expect(run.status == 0, "\(run.errors)")
    #expect(run.output.contains("Silver, balance \(state.balance) points"), "\(run.output)")
    try await Self.tamperingIsFoundByCheck(f.cachePath("T01"), raised: raised)
    let earn = try north.earn(
      card: Self.card, lines: [PurchaseLine(category: "fresh", amount: 2_000)], receipt: "N1",
      context: OperationContext(terminal: "T01", operator: "test", at: at.adding(seconds: 60)))
    #expect(!earn.provisional)
    #expect(earn.points == 100)
    let synced = try f.syncChild("T01", hq.url, at: at.adding(seconds: 3_600))
    #expect(synced.status == 0, "HQ refused what the counter decided on its answer: \(synced.output) \(synced.errors)")
    #expect(try north.lookedUp().isEmpty)
  }

  /// The counter itself (`run --script`) with `--hq`: the southern card tapped at T01 shows its
  /// Silver account and earns on it; the same counter with HQ out of reach offers to enrol it.
  @Test func theCounterLooksATappedCardUpAtHQ() async throws {
    let (f, hq) = try await silverInTheSouth()
    defer { hq.stop() }
    let at = ChainFixture.start.adding(days: 1).adding(seconds: 30_000)
    let base = [
      "run", "--cache", f.cachePath("T01"), "--terminal", "T01", "--simulated", "--script", "--at", at.description,
    ]
    // HQ out of reach (nothing listens there): the counter goes on as offline.
    let offline = try runToCompletion(
      BuiltProducts.loyaltyTerminal, base + ["--hq", "http://127.0.0.1:9", "--key", f.keyPath("T01")],
      input: "tap \(Self.card)\nremove\n")
    #expect(offline.status == 0, "\(offline.errors)")
    #expect(!offline.output.contains("Silver"), "\(offline.output)")
    let script = "tap \(Self.card)\npress purchase 1 2000 ok ok ok\nremove\n"
    let online = try runToCompletion(
      BuiltProducts.loyaltyTerminal, base + ["--hq", hq.url, "--key", f.keyPath("T01")], input: script)
    #expect(online.status == 0, "\(online.errors)")
    #expect(online.output.contains("Silver"), "\(online.output)")
    #expect(online.output.contains("+100 points"), "\(online.output)")
    let synced = try f.syncChild("T01", hq.url, at: at.adding(seconds: 3_600))
    #expect(synced.status == 0, "HQ refused what the counter decided: \(synced.output) \(synced.errors)")
  }

  /// A refund of a southern receipt at the northern counter, the card tapped after F: the
  /// counter looks the card up at HQ when the receipt is scanned, finds the receipt in its account,
  /// and HQ admits the refund.
  @Test func aRefundForACardOfAnotherRegionLooksItUpAtTheScan() async throws {
    let (f, hq) = try await silverInTheSouth()
    defer { hq.stop() }
    let at = ChainFixture.start.adding(days: 1).adding(seconds: 30_000)
    let run = try runToCompletion(
      BuiltProducts.loyaltyTerminal,
      [
        "run", "--cache", f.cachePath("T01"), "--terminal", "T01", "--simulated", "--script", "--at", at.description,
        "--hq", hq.url, "--key", f.keyPath("T01"),
      ], input: "press refund\ntap \(Self.card)\nremove\nscan T02/S3\npress 1000 ok ok\n")
    #expect(run.status == 0, "\(run.errors)")
    #expect(run.output.contains("Refund recorded"), "\(run.output)")
    let synced = try f.syncChild("T01", hq.url, at: at.adding(seconds: 3_600))
    #expect(synced.status == 0, "HQ refused the refund: \(synced.output) \(synced.errors)")
    #expect(try f.cache("T01").refusedByHQ().isEmpty)
  }

  /// A terminal over its allowance (here 2 a minute) is refused in words with when to ask again,
  /// bad requests counted too; another terminal is not.
  @Test func lookUpsOverTheAllowanceAreRefusedUntilItRefills() async throws {
    let (f, hq) = try await silverInTheSouth(serve: ["--look-ups-per-minute", "2"])
    defer { hq.stop() }
    let remote = try HQConnection(
      baseURL: hq.url, logger: Logger(label: "test"), clock: { .wallClock }, retry: RetryPolicy(waits: []))
    let basis = try #require(try f.cache("T01").lookUpQuestion(card: Self.card)).basis
    let key = try LedgerKey.load(from: f.keyPath("T01"))
    await #expect(throws: HQRefusal.self) {
      _ = try await remote.lookUp(card: "zz", basis: basis, terminal: "T01", key: key)
    }
    _ = try await remote.lookUp(card: Self.card, basis: basis, terminal: "T01", key: key)
    do {
      _ = try await remote.lookUp(card: Self.card, basis: basis, terminal: "T01", key: key)
      Issue.record("a third look-up within the minute was answered")
    } catch {
      // Refused (429, the one attempt this connection makes): the reason says when to ask again.
      #expect("\(error)".contains("looked up more than 2 cards a minute"), "\(error)")
    }
    let other = try LedgerKey.load(from: f.keyPath("T02"))
    let south = try #require(try f.cache("T02").lookUpQuestion(card: Self.card)).basis
    _ = try await remote.lookUp(card: Self.card, basis: south, terminal: "T02", key: other)
    await remote.close()
  }

  /// A look-up's row edited by hand (the state the counter decides on raised; HQ's answer kept
  /// with it altered, or stripped of its signature) is found by `check`; the row as taken is not.
  static func tamperingIsFoundByCheck(_ path: String, raised: AccountState) async throws {
    let honest = try runToCompletion(BuiltProducts.loyaltyTerminal, ["check", "--cache", path])
    #expect(honest.status == 0, "\(honest.errors)")
    let kept = try #require(try PointsCache(path: path).lookedUp()[raised.id])
    var answer = try JSONDecoder().decode(AccountLookup.self, from: Data(kept.answer.utf8))
    answer.state = Data(AccountStateEncoding.encode(raised)).base64EncodedString()
    let altered = String(decoding: try AccountLookup.encoder.encode(answer), as: UTF8.self)
    answer.signature = nil
    let stripped = String(decoding: try AccountLookup.encoder.encode(answer), as: UTF8.self)
    let bytes = Data(AccountStateEncoding.encode(raised))
    for (edit, found) in [
      ("UPDATE looked_up SET state = ?", "its state is not the one HQ answered"),
      ("UPDATE looked_up SET state = ?, answer = '\(altered)'", "not signed by the HQ key"),
      ("UPDATE looked_up SET state = ?, answer = '\(stripped)'", "is not signed, where HQ signs every answer"),
    ] {
      let copy = path + ".tampered"
      try? FileManager.default.removeItem(atPath: copy)
      try PointsCache(path: path).backup(to: copy)
      let queue = try DatabaseQueue(path: copy)
      try await queue.write { db in try db.execute(sql: edit, arguments: [bytes]) }
      try queue.close()
      let run = try runToCompletion(BuiltProducts.loyaltyTerminal, ["check", "--cache", copy])
      #expect(run.status != 0)
      #expect(run.errors.contains(found), "\(edit): \(run.errors)")
    }
  }
}

import Foundation
import HQClient
import HTTPRetry
import LedgerFormat
import Logging
import LoyaltyCore
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
  func silverInTheSouth() async throws -> (ChainFixture, HQServiceProcess) {
    let f = try ChainFixture(terminals: 2, program: ChainFixture.program(regions: Self.regions))
    let hq = try await HQServiceProcess(ledger: f.ledger.path, hqKey: f.directory.appendingPathComponent("hq.key").path)
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

    // The command a cashier's back office runs: the account taken, on its whole state.
    let at = ChainFixture.start.adding(days: 1).adding(seconds: 30_000)
    let run = try runToCompletion(
      BuiltProducts.loyaltyTerminal,
      [
        "look-up", Self.card, "--cache", f.cachePath("T01"), "--hq", hq.url, "--terminal", "T01", "--key",
        f.keyPath("T01"), "--at", at.description,
      ])
    #expect(run.status == 0, "\(run.errors)")
    #expect(run.output.contains("Silver, balance \(state.balance) points"), "\(run.output)")
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
}

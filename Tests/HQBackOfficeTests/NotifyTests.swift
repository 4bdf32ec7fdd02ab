import Foundation
import HQBackOffice
import LedgerFormat
import LedgerStore
import LoyaltyCore
import TestSupport
import Testing

/// `ledger notify` against a real local HTTP endpoint (python3's http.server) that fails the
/// first attempts, is down for a while, then accepts: each event delivered exactly once.
@Suite("HQ's notifications")
struct NotifyTests {
  func notify(_ f: ChainFixture, _ url: String, asOf: UTCInstant, extra: [String] = []) throws -> (
    status: Int32, output: String, errors: String
  ) {
    try runToCompletion(
      BuiltProducts.loyaltyHQ,
      [
        "ledger", "notify", "--ledger", f.ledger.path, "--webhook", url, "--state",
        f.directory.appendingPathComponent("notify.json").path, "--as-of", asOf.description,
      ] + extra)
  }

  @Test func eachEventIsDeliveredExactlyOnceThroughFailuresAndAnOutage() async throws {
    let f = try ChainFixture(terminals: 2)
    let day1 = ChainFixture.start.adding(days: 1)
    for t in f.terminals { try await f.sync(t, at: ChainFixture.start.adding(seconds: 60)) }
    let cards = Array(ChainFixture.cards.prefix(2))
    for (i, t) in f.terminals.enumerated() {
      let cache = try f.cache(t)
      _ = try cache.enroll(card: cards[i], referrer: nil, context: f.context(t, 0))
      _ = try cache.earn(
        card: cards[i], lines: [PurchaseLine(category: "fresh", amount: 3_000)], receipt: "R1",
        context: f.context(t, 60))
      try await f.sync(t, at: day1.adding(seconds: 3_600))
    }
    // The endpoint fails twice, then takes everything.
    let flaky = try await WebhookEndpoint(directory: f.directory, failFirst: 2)
    let first = try notify(f, flaky.url, asOf: day1.adding(days: 1))
    #expect(first.status == 0, "\(first.errors)")
    #expect(first.output.contains("delivered 2 pointsEarned"), "\(first.output)")
    #expect(try notify(f, flaky.url, asOf: day1.adding(days: 1)).output.contains("delivered 0 pointsEarned"))
    flaky.stop()

    // A new earn while the endpoint is down: kept, exit 1; delivered once it is back.
    _ = try f.cache("T01").earn(
      card: cards[0], lines: [PurchaseLine(category: "fresh", amount: 1_000)], receipt: "R2",
      context: f.context("T01", 7_200))
    try await f.sync("T01", at: day1.adding(seconds: 9_000))
    let down = try notify(f, flaky.url, asOf: day1.adding(days: 1), extra: ["--attempts", "2"])
    #expect(down.status == 1 && down.output.contains("1 events kept for the next run"), "\(down.output)")
    let back = try await WebhookEndpoint(directory: f.directory, failFirst: 0)
    defer { back.stop() }
    let resumed = try notify(f, back.url, asOf: day1.adding(days: 1))
    #expect(resumed.status == 0 && resumed.output.contains("delivered 1 pointsEarned"), "\(resumed.output)")

    // 355 days on: the points expire within 30 days and both accounts have been quiet 60 days.
    let later = day1.adding(days: 355)
    let standing = try notify(f, back.url, asOf: later)
    // One pointsExpiringSoon per account, however many lots it has.
    #expect(standing.output.contains("0 pointsEarned, 2 pointsExpiringSoon, 2 inactive"), "\(standing.output)")
    #expect(try notify(f, back.url, asOf: later.adding(days: 1)).output.contains("0 pointsExpiringSoon, 0 inactive"))

    let received = flaky.received + back.received
    let keys = received.map(\.key)
    #expect(Set(keys).count == keys.count, "an event was delivered twice: \(keys)")
    #expect(keys.filter { $0.hasPrefix("pointsEarned-") }.count == 3)
    for (_, body, _) in received {
      for card in cards {
        #expect(!body.contains(card), "a full card number in \(body)")
      }
      #expect(cards.contains { body.contains("\"cardLast4\":\"\($0.suffix(4))\"") }, "\(body)")
    }
  }

  /// A 307 is a failed delivery, named, never a re-POST of cardholder payloads elsewhere.
  @Test func aRedirectIsAFailureAndNothingIsPostedWhereItPoints() async throws {
    let f = try ChainFixture(terminals: 1)
    try await f.sync("T01", at: ChainFixture.start.adding(seconds: 60))
    _ = try f.cache("T01").enroll(card: ChainFixture.cards[0], referrer: nil, context: f.context("T01", 0))
    _ = try f.cache("T01").earn(
      card: ChainFixture.cards[0], lines: [PurchaseLine(category: "fresh", amount: 3_000)], receipt: "R1",
      context: f.context("T01", 60))
    try await f.sync("T01", at: ChainFixture.start.adding(days: 1).adding(seconds: 3_600))
    let elsewhere = try await WebhookEndpoint(directory: f.directory, failFirst: 0)
    defer { elsewhere.stop() }
    let redirecting = try await WebhookEndpoint(directory: f.directory, failFirst: 0, redirectTo: elsewhere.url)
    defer { redirecting.stop() }
    let run = try notify(f, redirecting.url, asOf: ChainFixture.start.adding(days: 2))
    #expect(run.status == 1, "\(run.output)")
    #expect(
      run.output.contains("answered 307 redirect to \(elsewhere.url)")
        && run.output.contains("webhooks do not follow redirects"), "\(run.output)")
    #expect(run.output.contains("1 events kept for the next run"), "\(run.output)")
    #expect(elsewhere.received.isEmpty, "the payload was re-posted to \(elsewhere.url)")
  }
}

import Foundation
import LoyaltyCore
import TestSupport
import Testing

/// A terminal's client does not follow redirects: a 3xx from "HQ" is one error line naming where
/// it points, and nothing is sent there.
@Suite("A terminal does not follow HQ's redirects")
struct HQRedirectTests {
  /// "HQ" answers the batch with a 307: the terminal does not follow it (a signed batch re-POSTed
  /// elsewhere), names where it points and fails; the target receives nothing.
  @Test func aRedirectIsNotFollowed() async throws {
    let f = try ChainFixture(terminals: 1)
    try await f.sync("T01", at: ChainFixture.start.adding(seconds: 60))
    _ = try f.cache("T01").enroll(card: ChainFixture.cards[0], referrer: nil, context: f.context("T01", 0))
    let elsewhere = try await WebhookEndpoint(directory: f.directory, failFirst: 0)
    defer { elsewhere.stop() }
    let redirecting = try await WebhookEndpoint(directory: f.directory, failFirst: 0, redirectTo: elsewhere.url)
    defer { redirecting.stop() }
    let base = String(redirecting.url.dropLast("/events".count))
    let run = try f.syncChild("T01", base, at: SignedAnswerTests.day1)
    #expect(run.status == 2, "a failed sync: \(run.output)")
    #expect(
      run.errors.contains("answered POST /v1/batches with 307 redirect to \(elsewhere.url)")
        && run.errors.contains("this terminal does not follow redirects"), "\(run.errors)")
    #expect(elsewhere.received.isEmpty, "the signed batch was re-posted to \(elsewhere.url)")
    #expect(try f.cache("T01").outbox().count == 1)
  }
}

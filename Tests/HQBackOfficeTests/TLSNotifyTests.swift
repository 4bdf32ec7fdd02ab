import Foundation
import HQBackOffice
import LedgerFormat
import LedgerStore
import LoyaltyCore
import TestSupport
import Testing

/// `ledger notify --ca-file` to an HTTPS endpoint whose certificate a private CA signed (made here
/// with openssl), and a `--header` that is not one refused as a usage error (exit 64) naming why.
@Suite("HQ's notifications over TLS, with headers")
struct TLSNotifyTests {
  @Test func aPrivateCAIsTrustedWithCAFileAndOnlyThen() async throws {
    let f = try ChainFixture(terminals: 1)
    try await f.sync("T01", at: ChainFixture.start.adding(seconds: 60))
    _ = try f.cache("T01").enroll(card: ChainFixture.cards[0], referrer: nil, context: f.context("T01", 0))
    _ = try f.cache("T01").earn(
      card: ChainFixture.cards[0], lines: [PurchaseLine(category: "fresh", amount: 3_000)], receipt: "R1",
      context: f.context("T01", 60))
    try await f.sync("T01", at: ChainFixture.start.adding(days: 1))
    let pki = try makePrivateCA(in: f.directory)
    let endpoint = try await WebhookEndpoint(
      directory: f.directory, failFirst: 0, token: "tok", tls: (pki.certificate, pki.key))
    defer { endpoint.stop() }
    #expect(endpoint.url.hasPrefix("https://127.0.0.1:"))
    let asOf = ChainFixture.start.adding(days: 2)
    let header = ["--header", "Authorization: Bearer tok"]
    let untrusted = try NotifyTests().notify(f, endpoint.url, asOf: asOf, extra: header + ["--attempts", "1"])
    #expect(untrusted.status == 1 && untrusted.output.contains("1 events kept"), "\(untrusted.output)")
    let trusted = try NotifyTests().notify(f, endpoint.url, asOf: asOf, extra: header + ["--ca-file", pki.ca])
    #expect(trusted.status == 0 && trusted.output.contains("delivered 1 pointsEarned"), "\(trusted.output)")
    #expect(endpoint.received.count == 1)
    let notPEM = try NotifyTests().notify(f, endpoint.url, asOf: asOf, extra: ["--ca-file", pki.key + ".missing"])
    #expect(notPEM.status != 0 && (notPEM.output + notPEM.errors).contains("is not a readable PEM file"))
  }

  @Test(arguments: [
    ("Authorization Bearer tok", "has no colon"), ("Bad Name: x", "is not a header name"),
    ("Idempotency-Key: x", "sets that header itself"), ("Loyalty-Signature: t=1,v1=00", "sets that header itself"),
  ])
  func aHeaderThatIsNotOneIsAUsageError(header: String, reason: String) throws {
    let f = try ChainFixture(terminals: 1)
    let run = try NotifyTests().notify(
      f, "http://127.0.0.1:9/events", asOf: ChainFixture.start, extra: ["--header", header])
    let message = (run.output + run.errors).trimmingCharacters(in: .whitespacesAndNewlines)
    #expect(run.status == 64 && message.contains(reason), "\(run.status) \(message)")
  }
}

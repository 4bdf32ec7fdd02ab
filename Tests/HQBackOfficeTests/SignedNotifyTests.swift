import Foundation
import HQBackOffice
import LedgerFormat
import LedgerStore
import LoyaltyCore
import Notifications
import TestSupport
import Testing

/// `ledger notify`'s requests signed with a secret from a file and carrying the operator's header,
/// checked by a real local endpoint that verifies them; its events grouped per account, none for
/// an account without a card, and a provisional earn worded for its cardholder.
@Suite("HQ's notifications, signed and grouped")
struct SignedNotifyTests {
  let secret = "whsec-0123456789abcdef0123456789abcdef"
  let fresh = [PurchaseLine(category: "fresh", amount: 3_000)]

  func notify(_ f: ChainFixture, _ url: String, asOf: UTCInstant, extra: [String] = []) throws -> (
    status: Int32, output: String, errors: String
  ) {
    try NotifyTests().notify(f, url, asOf: asOf, extra: extra)
  }

  /// A secret file with `mode`, holding `text`.
  func secretFile(_ f: ChainFixture, _ text: String, mode: Int = 0o600) throws -> String {
    let path = f.directory.appendingPathComponent("webhook-\(UUID().uuidString).secret").path
    try (text + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
    return path
  }

  /// One enrolled card with one earn, synced: one pointsEarned to announce.
  func oneEarn() async throws -> ChainFixture {
    let f = try ChainFixture(terminals: 1)
    try await f.sync("T01", at: ChainFixture.start.adding(seconds: 60))
    _ = try f.cache("T01").enroll(card: ChainFixture.cards[0], referrer: nil, context: f.context("T01", 0))
    _ = try f.cache("T01").earn(card: ChainFixture.cards[0], lines: fresh, receipt: "R1", context: f.context("T01", 60))
    try await f.sync("T01", at: ChainFixture.start.adding(days: 1))
    return f
  }

  /// The scheme itself: `t=UNIX,v1=HEX`, HEX = HMAC-SHA256(secret, "t.body"), as python's hmac
  /// computes it; a wrong secret, a changed body or a time outside the window does not verify.
  @Test func theSignatureIsTheDocumentedHMAC() {
    let signer = WebhookSignature(secret: Data("whsec-test-secret-0123".utf8))
    let body = Data(#"{"a":1}"#.utf8)
    let value = signer.value(body: body, at: 1_700_000_000)
    #expect(value == "t=1700000000,v1=68d0d2c2b1fd8dd3cf9757f6711713db6c1f8e87bc8e05ae6ebfab6607942326")
    #expect(signer.verify(value, body: body, now: 1_700_000_100))
    #expect(!signer.verify(value, body: body, now: 1_700_000_301))
    #expect(!signer.verify(value, body: Data(#"{"a":2}"#.utf8), now: 1_700_000_000))
    #expect(
      !WebhookSignature(secret: Data("another-secret-0123456".utf8)).verify(value, body: body, now: 1_700_000_000))
  }

  /// The endpoint verifies each request with the secret: a wrong secret, a stale time and a
  /// missing token are refused 401 (the event kept); the right ones are taken, once.
  @Test func theEndpointVerifiesTheSignatureAndRefusesAWrongOne() async throws {
    let f = try await oneEarn()
    let now = ChainFixture.start.adding(days: 2)
    let endpoint = try await WebhookEndpoint(
      directory: f.directory, failFirst: 0, secret: secret, now: now.seconds, token: "tok")
    defer { endpoint.stop() }
    let good = try secretFile(f, secret)
    let wrong = try secretFile(f, "whsec-not-the-endpoints-secret-0000")
    let token = ["--header", "Authorization: Bearer tok", "--attempts", "1"]
    let signedNow = ["--signed-at", now.description]
    let refusals = [
      ["--secret-file", wrong] + signedNow + token,
      ["--secret-file", good, "--signed-at", now.adding(seconds: -3_600).description] + token,
      ["--secret-file", good, "--attempts", "1"] + signedNow,
      ["--attempts", "1"] + token,
    ]
    for extra in refusals {
      let run = try notify(f, endpoint.url, asOf: now, extra: extra)
      #expect(run.status == 1 && run.output.contains("HTTP 401"), "\(extra): \(run.output)\(run.errors)")
      #expect(run.output.contains("1 events kept for the next run"), "\(run.output)")
    }
    #expect(endpoint.rejected.count == 4 && endpoint.received.isEmpty)
    let run = try notify(f, endpoint.url, asOf: now, extra: ["--secret-file", good] + signedNow + token)
    #expect(run.status == 0 && run.output.contains("delivered 1 pointsEarned"), "\(run.output)\(run.errors)")
    let taken = try #require(endpoint.received.first)
    #expect(
      taken.signature.hasPrefix("t=\(now.seconds),v1=") && taken.signature.count == "t=\(now.seconds),v1=".count + 64)
    #expect(
      WebhookSignature(secret: Data(secret.utf8)).verify(taken.signature, body: Data(taken.body.utf8), now: now.seconds)
    )
  }

  /// A secret others can read is refused in one line naming the fix, before anything is sent.
  @Test func aSecretFileWithBadPermissionsIsRefusedInOneLine() async throws {
    let f = try await oneEarn()
    let open = try secretFile(f, secret, mode: 0o644)
    let run = try notify(
      f, "http://127.0.0.1:9/events", asOf: ChainFixture.start.adding(days: 2), extra: ["--secret-file", open])
    let message = (run.output + run.errors).trimmingCharacters(in: .whitespacesAndNewlines)
    #expect(run.status != 0)
    #expect(message == "secret file \(open) has mode 644; it must be 600 (chmod 600 \(open))", "\(message)")
    let short = try secretFile(f, "short")
    let refused = try notify(f, "http://127.0.0.1:9/events", asOf: ChainFixture.start, extra: ["--secret-file", short])
    #expect(refused.status != 0 && (refused.output + refused.errors).contains("at least 16 characters"))
  }
}

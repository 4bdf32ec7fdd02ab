import Foundation
import Ledger
import LoyaltyCore
import TestSupport
import Testing

/// `ledger notify` against a real local HTTP endpoint (python3's http.server) that fails the
/// first attempts, is down for a while, then accepts: each event delivered exactly once.
@Suite("HQ's notifications")
struct NotifyTests {
  /// A webhook on a free port: answers 503 to the first `failFirst` POSTs, then 204; logs each
  /// accepted request's Idempotency-Key and body, one JSON line each.
  final class Endpoint: @unchecked Sendable {
    let child: ChildProcess
    let url: String
    let log: String

    /// With `redirectTo`, every POST is answered 307 to that URL (and nothing is logged). With
    /// `secret`, a POST whose `Loyalty-Signature` does not verify under it, or is signed more than
    /// 300 s from `now` (the endpoint's clock, injected), is answered 401 and logged as rejected;
    /// with `token`, so is one without `Authorization: Bearer TOKEN`.
    init(
      directory: URL, failFirst: Int, redirectTo: String? = nil, secret: String? = nil, now: Int64 = 0,
      token: String? = nil, tls: (certificate: String, key: String)? = nil
    ) async throws {
      log = directory.appendingPathComponent("received-\(UUID().uuidString).jsonl").path
      let script = """
        import hashlib, hmac, http.server, json, sys
        failures = [\(failFirst)]
        redirect = \(redirectTo.map { "'\($0)'" } ?? "None")
        secret = \(secret.map { "b'\($0)'" } ?? "None")
        token = \(token.map { "'Bearer \($0)'" } ?? "None")
        def verified(header, body):
            parts = dict(p.split('=', 1) for p in (header or '').split(',') if '=' in p)
            t = parts.get('t', '')
            if not t.isdigit() or abs(\(now) - int(t)) > 300: return False
            mac = hmac.new(secret, t.encode() + b'.' + body, hashlib.sha256).hexdigest()
            return hmac.compare_digest(mac, parts.get('v1', ''))
        class H(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get('Content-Length', 0)))
                if redirect:
                    self.send_response(307); self.send_header('Location', redirect); self.end_headers(); return
                signature = self.headers.get('Loyalty-Signature') or ''
                if (secret and not verified(signature, body)) or (token and self.headers.get('Authorization') != token):
                    with open(sys.argv[1], 'a') as f:
                        f.write(json.dumps({'rejected': self.headers.get('Idempotency-Key')}) + '\\n')
                    self.send_response(401); self.end_headers(); return
                if failures[0] > 0:
                    failures[0] -= 1
                    self.send_response(503); self.end_headers(); return
                with open(sys.argv[1], 'a') as f:
                    f.write(json.dumps({
                        'key': self.headers.get('Idempotency-Key'), 'body': body.decode(), 'signature': signature
                    }) + '\\n')
                self.send_response(204); self.end_headers()
            def log_message(self, *a): pass
        s = http.server.HTTPServer(('127.0.0.1', 0), H)
        tls = \(tls.map { "('\($0.certificate)', '\($0.key)')" } ?? "None")
        if tls:
            import ssl
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); context.load_cert_chain(*tls)
            s.socket = context.wrap_socket(s.socket, server_side=True)
        print('listening on %s://127.0.0.1:%d/events' % ('https' if tls else 'http', s.server_port), flush=True)
        s.serve_forever()
        """
      let path = directory.appendingPathComponent("endpoint.py").path
      try script.write(toFile: path, atomically: true, encoding: .utf8)
      child = try ChildProcess("/usr/bin/python3", [path, log])
      child.killAfter(seconds: 300)
      guard let found = await child.listeningURL() else { throw ChildProcessError("the endpoint did not start") }
      url = found
    }

    var logged: [[String: String]] {
      let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
      return text.split(separator: "\n").compactMap {
        try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: String]
      }
    }

    /// The requests taken (204), in order.
    var received: [(key: String, body: String, signature: String)] {
      logged.compactMap { o in o["key"].map { ($0, o["body"] ?? "", o["signature"] ?? "") } }
    }

    /// The idempotency keys of the requests refused 401 (signature or token), in order.
    var rejected: [String] { logged.compactMap { $0["rejected"] } }

    func stop() { _ = child.stop(with: SIGTERM) }
  }

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
    for t in f.terminals { try f.sync(t, at: ChainFixture.start.adding(seconds: 60)) }
    let cards = Array(ChainFixture.cards.prefix(2))
    for (i, t) in f.terminals.enumerated() {
      let cache = try f.cache(t)
      _ = try cache.enroll(card: cards[i], referrer: nil, context: f.context(t, 0))
      _ = try cache.earn(
        card: cards[i], lines: [PurchaseLine(category: "fresh", amount: 3_000)], receipt: "R1",
        context: f.context(t, 60))
      try f.sync(t, at: day1.adding(seconds: 3_600))
    }
    // The endpoint fails twice, then takes everything.
    let flaky = try await Endpoint(directory: f.directory, failFirst: 2)
    let first = try notify(f, flaky.url, asOf: day1.adding(days: 1))
    #expect(first.status == 0, "\(first.errors)")
    #expect(first.output.contains("delivered 2 pointsEarned"), "\(first.output)")
    #expect(try notify(f, flaky.url, asOf: day1.adding(days: 1)).output.contains("delivered 0 pointsEarned"))
    flaky.stop()

    // A new earn while the endpoint is down: kept, exit 1; delivered once it is back.
    _ = try f.cache("T01").earn(
      card: cards[0], lines: [PurchaseLine(category: "fresh", amount: 1_000)], receipt: "R2",
      context: f.context("T01", 7_200))
    try f.sync("T01", at: day1.adding(seconds: 9_000))
    let down = try notify(f, flaky.url, asOf: day1.adding(days: 1), extra: ["--attempts", "2"])
    #expect(down.status == 1 && down.output.contains("1 events kept for the next run"), "\(down.output)")
    let back = try await Endpoint(directory: f.directory, failFirst: 0)
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
    try f.sync("T01", at: ChainFixture.start.adding(seconds: 60))
    _ = try f.cache("T01").enroll(card: ChainFixture.cards[0], referrer: nil, context: f.context("T01", 0))
    _ = try f.cache("T01").earn(
      card: ChainFixture.cards[0], lines: [PurchaseLine(category: "fresh", amount: 3_000)], receipt: "R1",
      context: f.context("T01", 60))
    try f.sync("T01", at: ChainFixture.start.adding(days: 1).adding(seconds: 3_600))
    let elsewhere = try await Endpoint(directory: f.directory, failFirst: 0)
    defer { elsewhere.stop() }
    let redirecting = try await Endpoint(directory: f.directory, failFirst: 0, redirectTo: elsewhere.url)
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

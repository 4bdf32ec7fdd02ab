import Foundation

/// A webhook on a free port: answers 503 to the first `failFirst` POSTs, then 204; logs each
/// accepted request's Idempotency-Key and body, one JSON line each.
public final class WebhookEndpoint: @unchecked Sendable {
  public let child: ChildProcess
  public let url: String
  public let log: String

  /// With `redirectTo`, every POST is answered 307 to that URL (and nothing is logged). With
  /// `secret`, a POST whose `Loyalty-Signature` does not verify under it, or is signed more than
  /// 300 s from `now` (the endpoint's clock, injected), is answered 401 and logged as rejected;
  /// with `token`, so is one without `Authorization: Bearer TOKEN`.
  public init(
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

  public var logged: [[String: String]] {
    let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
    return text.split(separator: "\n").compactMap {
      try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: String]
    }
  }

  /// The requests taken (204), in order.
  public var received: [(key: String, body: String, signature: String)] {
    logged.compactMap { o in o["key"].map { ($0, o["body"] ?? "", o["signature"] ?? "") } }
  }

  /// The idempotency keys of the requests refused 401 (signature or token), in order.
  public var rejected: [String] { logged.compactMap { $0["rejected"] } }

  public func stop() { _ = child.stop(with: SIGTERM) }
}

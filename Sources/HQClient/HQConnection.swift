import AsyncHTTPClient
import Foundation
import HTTPRetry
import LedgerFormat
import LocalFiles
import Logging
import LoyaltyCore
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import NIOSSL
import SyncProtocol
import SystemPackage

/// A terminal's connection to HQ's sync service: every request signed with the terminal's key
/// (RFC 9421), batches under their batch id as idempotency key, timeouts, retries with back-off
/// on a lost connection or an HQ that is not answering, and downloads that resume where a cut
/// one stopped. Close it after use.
public final class HQConnection: LedgerConnection {
  public let baseURL: String
  let client: HTTPClient
  let logger: Logger
  /// How a failed request is tried again: the `RetryPolicy` the webhook notifier uses too (HQ's
  /// schedule, `retryPolicy(attempts:)`, by default).
  let retry: RetryPolicy
  /// How long one request may take (a download: how long it may go without a byte).
  let timeout: TimeAmount
  /// Told of each retry, one line: the attempt that failed, why, and the wait before the next.
  let onRetry: @Sendable (String) -> Void
  /// The time each request is signed at, which HQ checks against its own clock: the machine's
  /// (`sync` passes the command line's wall clock), or a simulation's in the swarm.
  let clock: @Sendable () -> UTCInstant

  /// - Parameters:
  ///   - baseURL: `http://host:port` or `https://host:port`.
  ///   - trustRoots: a PEM file of the CA that signed HQ's certificate (HQ's own CA), else the system's.
  ///   - clock: when a request is signed (HQ refuses one signed more than 5 minutes from its clock).
  public init(
    baseURL: String, trustRoots: String? = nil, logger: Logger, clock: @escaping @Sendable () -> UTCInstant,
    retry: RetryPolicy = HQConnection.retryPolicy(attempts: 5),
    timeout: TimeAmount = .seconds(60), onRetry: (@Sendable (String) -> Void)? = nil
  ) throws {
    guard let url = URL(string: baseURL), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
      throw SyncProtocolError("--hq \(baseURL) is not an http:// or https:// address of HQ's service")
    }
    guard url.path.isEmpty || url.path == "/", url.query == nil else {
      throw SyncProtocolError("--hq \(baseURL): give HQ's service as scheme://HOST:PORT, without a path or query")
    }
    self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
    var tls = TLSConfiguration.makeClientConfiguration()
    if let trustRoots {
      let certificates = try? NIOSSLCertificate.fromPEMFile(trustRoots)
      guard let certificates, !certificates.isEmpty else {
        throw SyncProtocolError(
          "--hq-ca \(trustRoots) is not a readable PEM file of certificates (give the CA's certificate, hq-ca.crt, "
            + "not its key)")
      }
      tls.trustRoots = .certificates(certificates)
    }
    // Redirects are never followed: a 307 would re-POST a signed batch wherever it points.
    var configuration = HTTPClient.Configuration(
      tlsConfiguration: tls, redirectConfiguration: .disallow,
      timeout: .init(connect: min(.seconds(10), timeout), read: timeout))
    // A refused connection or a failed TLS handshake fails the request at once (the pool would
    // otherwise try again until the connect timeout); the attempts below are the retries.
    configuration.connectionPool.retryConnectionEstablishment = false
    client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    self.logger = logger
    self.clock = clock
    self.retry = retry
    self.timeout = timeout
    self.onRetry = onRetry ?? { [logger] line in logger.notice("\(line)") }
  }

  /// The waits between attempts, in order (a later attempt waits longer; the last repeats).
  public static let defaultBackoff: [Duration] =
    [.milliseconds(500), .seconds(2), .seconds(5), .seconds(15)] + Array(repeating: .seconds(30), count: 6)

  /// HQ's retry policy: `attempts` in all, waiting `defaultBackoff` between them (at most 30 s).
  public static func retryPolicy(attempts: Int) -> RetryPolicy {
    RetryPolicy(waits: Array(defaultBackoff.prefix(attempts - 1)))
  }

  /// Shuts the HTTP client down.
  public func close() async { try? await client.shutdown() }

  public var location: String { baseURL }
  public var signsCheckpoints: Bool { true }
  public var signsAnswers: Bool { true }

  public func exchange(
    _ outbox: [Entry], at: UTCInstant, after state: LedgerVerifier.State, terminal: String, key: LedgerKey,
    now: UTCInstant?
  ) async throws -> SyncExchange {
    var answers: [SubmissionAnswer] = []
    var start = 0
    while start < outbox.count {
      let part = Array(outbox[start..<min(outbox.count, start + Submission.maxEntries)])
      start += part.count
      let submission = Submission(terminal: terminal, at: at, since: state.offset, seq: state.lastSeq, entries: part)
      let body = try JSONEncoder().encode(submission)
      let data = try await send(
        "POST", "/v1/batches", body: body, terminal: terminal, key: key, extra: [("Idempotency-Key", submission.batch)])
      let got = try decode(SubmissionAnswer.self, data, what: "HQ's answer to the batch")
      guard got.batch == submission.batch else { throw SyncProtocolError("HQ answered for another batch") }
      // Each part kept as HQ signed it: the sync checks the signatures against the pinned key.
      answers.append(got)
    }
    let data = try await send(
      "GET",
      "/v1/checkpoint?from=\(state.offset)&seq=\(state.lastSeq)&lines=\(state.lines)"
        + (state.head.isEmpty ? "" : "&head=\(state.head)"), body: Data(),
      terminal: terminal, key: key)
    let checkpoint = try decode(SyncCheckpoint.self, data, what: "HQ's checkpoint")
    return SyncExchange(
      answers: answers, checkpoint: checkpoint, repairedBytes: answers.reduce(0) { $0 + $1.repairedBytes })
  }

  public func download(_ checkpoint: SyncCheckpoint, terminal: String, key: LedgerKey, scratch: String) async throws
    -> LedgerBytes
  {
    let total = checkpoint.offset - checkpoint.from
    // A partial download of the same range (same end, same head) is resumed; anything else is
    // started again.
    let label = "\(checkpoint.from) \(checkpoint.offset) \(checkpoint.head)\n"
    let labelPath = scratch + ".range"
    if (try? String(contentsOfFile: labelPath, encoding: .utf8)) != label {
      try? FileManager.default.removeItem(atPath: scratch)
      try label.write(toFile: labelPath, atomically: true, encoding: .utf8)
    }
    try await intoScratch(scratch, for: "the download") { file in
      try await fill(file, from: checkpoint, total: total, terminal: terminal, key: key)
    }
    try? FileManager.default.removeItem(atPath: labelPath)
    return LedgerBytes(path: scratch, start: 0, count: total, isDownload: true)
  }

  /// Downloads into `file` what it lacks of the range (resuming after what it holds), again
  /// after a cut, as the retry policy allows.
  func fill(
    _ file: SystemPackage.FileDescriptor, from checkpoint: SyncCheckpoint, total: Int, terminal: String, key: LedgerKey
  )
    async throws
  {
    var have = try file.size()  // and the offset at the end
    if have > total {
      try file.truncate(to: 0)
      _ = try file.seek(offset: 0, from: .start)
      have = 0
    }
    var attempt = 1
    while have < total {
      do {
        let path = "/v1/ledger?from=\(checkpoint.from + have)&to=\(checkpoint.offset)"
        var request = try signed("GET", path, body: Data(), terminal: terminal, key: key, extra: [])
        request.method = .GET
        let response = try await client.execute(request, timeout: .hours(6))
        try refuseRedirect(response, "GET", path)
        guard response.status == .ok else {
          let data = try await response.body.collect(upTo: 1 << 20)
          throw refusal(response.status, Data(buffer: data))
        }
        for try await buffer in response.body {
          try file.write(all: buffer.readableBytesView)
          have += buffer.readableBytes
          attempt = 1  // progress: a later cut starts its back-off afresh
        }
        guard have >= total else { throw SyncProtocolError("the download ended at \(have) of \(total) bytes") }
      } catch {
        try await waitToResume(after: error, attempt: &attempt, what: "download at \(have) of \(total) bytes") {
          [baseURL, attempt, have] in
          HQClientError.downloadStopped(url: baseURL, at: have, of: total, attempts: attempt, last: $0)
        }
      }
    }
  }

  /// Opens `scratch` for a resumable download — created if absent, the bytes it holds kept — and
  /// has `fill` write into it; then syncs and closes it (closed on a failure too, and rethrown).
  func intoScratch(
    _ scratch: String, for what: String, _ fill: (SystemPackage.FileDescriptor) async throws -> Void
  ) async throws {
    let file: SystemPackage.FileDescriptor
    do {
      file = try .open(
        atPath: scratch, .writeOnly, options: [.create, .noFollow, .closeOnExec], permissions: .ownerReadWrite)
    } catch { throw SyncProtocolError("cannot create \(scratch) for \(what): \(error)") }
    do {
      try await fill(file)
      try file.sync()
    } catch {
      file.closeAfterFailure()
      throw error
    }
    try file.close()
  }

  /// After a failed attempt of a resumable download: what a retry cannot mend is rethrown (a final
  /// refusal, a redirect, HQ's restored ledger), and `stopped(error)` once the retry policy is
  /// spent; otherwise it waits the policy's delay, says so, and counts the attempt.
  func waitToResume(
    after error: any Error, attempt: inout Int, what: String, stopped: (any Error) -> any Error
  ) async throws {
    let error = classify(error)
    switch error {
    case let refusal as HQRefusal where !isRetryable(refusal): throw refusal
    case is HQRedirect, is LedgerRestored: throw error
    default: break
    }
    guard isRetryable(error), retry.allowsRetry(after: attempt) else { throw stopped(error) }
    let wait = retry.delay(after: attempt)
    onRetry(retryLine(attempt, wait, what, error))
    try await retry.sleep(wait)
    attempt += 1
  }

  /// HQ's signed snapshot at the ledger's end.
  public func snapshot(terminal: String, key: LedgerKey) async throws -> Data {
    try await send("GET", "/v1/snapshot", body: Data(), terminal: terminal, key: key)
  }

  /// Sends a signed request and returns the body of a 200 answer; retries what may succeed later.
  func send(
    _ method: String, _ path: String, body: Data, terminal: String, key: LedgerKey, extra: [(String, String)] = []
  )
    async throws -> Data
  {
    do {
      return try await retry.run(
        isRetryable: isRetryable, onRetry: { onRetry(retryLine($0.attempt, $0.wait, "\(method) \(path)", $0.error)) },
        operation: { _ in
          do {
            // Signed afresh each attempt: a new nonce and creation time (a resend is not a replay).
            let request = try signed(method, path, body: body, terminal: terminal, key: key, extra: extra)
            let response = try await client.execute(request, timeout: timeout)
            try refuseRedirect(response, method, path)
            let data = Data(buffer: try await response.body.collect(upTo: 256 << 20))
            if response.status == .ok { return data }
            if let restored = Self.restored(response.status, data) { throw restored }
            throw refusal(response.status, data)
          } catch { throw classify(error) }
        })
    } catch let exhausted as RetryExhausted {
      throw HQClientError.gaveUp(
        method: method, path: path, attempts: exhausted.attempts, last: exhausted.last,
        mentionAttempts: retry.maxAttempts > 1)
    }
  }

  /// A 3xx answer is an error naming where it points (never followed, never retried).
  func refuseRedirect(_ response: HTTPClientResponse, _ method: String, _ path: String) throws(HQRedirect) {
    guard (300..<400).contains(response.status.code) else { return }
    throw HQRedirect(
      url: baseURL, method: method, path: path, status: Int(response.status.code),
      location: response.headers.first(name: "Location"))
  }

  func signed(_ method: String, _ path: String, body: Data, terminal: String, key: LedgerKey, extra: [(String, String)])
    throws -> HTTPClientRequest
  {
    var request = HTTPClientRequest(url: baseURL + path)
    request.method = HTTPMethod(rawValue: method)
    let parts = path.split(separator: "?", maxSplits: 1)
    let digest = MessageSignature.contentDigest(of: body)
    let signature = MessageSignature(
      method: method, path: String(parts[0]), query: parts.count > 1 ? "?" + parts[1] : "", contentDigest: digest,
      created: clock().seconds, keyID: terminal, nonce: MessageSignature.makeNonce())
    request.headers.add(name: "Content-Digest", value: digest)
    request.headers.add(name: "Signature-Input", value: signature.signatureInput)
    request.headers.add(name: "Signature", value: signature.signature(with: key))
    for (name, value) in extra { request.headers.add(name: name, value: value) }
    if !body.isEmpty {
      request.headers.add(name: "Content-Type", value: "application/json")
      request.body = .bytes(ByteBuffer(data: body))
    }
    return request
  }

  /// One line for a failed attempt that will be tried again: which of how many, why, and when.
  func retryLine(_ attempt: Int, _ wait: Duration, _ what: String, _ error: any Error) -> String {
    "attempt \(attempt) of \(retry.maxAttempts) (\(what)) failed: \(error); next in "
      + "\(String(format: "%g", wait.secondsValue)) s"
  }

  /// What went wrong, typed: HQ's answers (a refusal, a redirect, a restored ledger) and the
  /// protocol's errors as they are, any other failure as an `HQClientError`.
  func classify(_ error: any Error) -> any Error {
    switch error {
    case is HQRefusal, is HQRedirect, is LedgerRestored, is SyncProtocolError, is CancellationError: error
    default: HQClientError.classify(error, url: baseURL, timeout: timeout)
    }
  }

  /// Whether a failure (as `classify` gives it) may pass on another attempt: a refusal the
  /// policy calls transient, a transport failure that is not final, a reply that broke off.
  func isRetryable(_ error: any Error) -> Bool {
    switch error {
    case let refusal as HQRefusal: retry.isRetryable(status: refusal.status)
    case let failure as HQClientError: failure.isRetryable
    case is SyncProtocolError: true
    default: false
    }
  }

  func refusal(_ status: HTTPResponseStatus, _ body: Data) -> HQRefusal {
    let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any]
    let reason = object?["error"] as? String ?? String(decoding: body.prefix(300), as: UTF8.self)
    return HQRefusal(status: Int(status.code), reason: reason, code: object?["code"] as? String)
  }

  /// HQ's `restored` refusal as the error the sync goes back on, or nil for any other.
  static func restored(_ status: HTTPResponseStatus, _ body: Data) -> LedgerRestored? {
    guard status == .conflict, let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any],
      object["code"] as? String == "restored", let mark = object["restore"] as? [String: Any],
      let point = (mark["point"] as? NSNumber)?.int64Value, let seq = (mark["seq"] as? NSNumber)?.int64Value,
      point >= 0, seq > point
    else { return nil }
    return LedgerRestored(.init(point: point, seq: seq))
  }

  func decode<T: Decodable>(_ type: T.Type, _ data: Data, what: String) throws -> T {
    do { return try JSONDecoder().decode(type, from: data) } catch {
      throw SyncProtocolError("\(what) is not what the protocol says: \(error)")
    }
  }
}

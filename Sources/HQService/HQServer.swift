import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import LedgerFormat
import LedgerStore
import LocalFiles
import Logging
import LoyaltyCore
import NIOCore
import NIOSSL
import SyncProtocol
import SystemPackage

/// HQ's sync service: the ledger's single writer over HTTP (Hummingbird 2).
///
///     GET  /v1/health                      the ledger's end; no signature
///     GET  /metrics                        Prometheus text; no signature
///     POST /v1/batches                     a terminal's Submission (JSON) → SubmissionAnswer
///     GET  /v1/checkpoint?from=&seq=&lines= HQ's signed SyncCheckpoint for a terminal at that position
///     GET  /v1/ledger?from=&to=            the ledger's bytes from..<to (resumable: any from ≤ to)
///     GET  /v1/snapshot                    HQ's signed snapshot at the ledger's end
///     GET  /v1/state?since=&program=       the signed state delta after an epoch (`StateDelta`)
///     GET  /v1/account?card=&basis=        a card's account on the terminal's basis, signed (`AccountLookup`)
///
/// Every /v1 request but health is signed by a registered terminal (RFC 9421), checked by
/// `SignatureMiddleware` on the /v1 group before any handler runs. Admissions take
/// turns on the `HQLedger` actor; downloads read sealed bytes without waiting for them.
public struct HQServer: Sendable {
  public let ledger: HQLedger
  public let logger: Logger
  let authenticator: RequestAuthenticator
  let clock: @Sendable () -> UTCInstant
  /// How many cards a terminal may look up a minute (`LookUpAllowance`).
  let lookUps: LookUpAllowances
  /// The default of `lookUpsPerMinute`: a busy counter asks for a few cards an hour.
  public static let defaultLookUpsPerMinute = 60

  /// The most one submission's body may hold.
  static let maxBody = 32 << 20
  /// How long a connection may sit idle, from its opening or its last request (a stalled client,
  /// or one that never sends a request, is dropped: HQ does not wait on it).
  public static let idleTimeout = Duration.seconds(30)

  public init(
    ledger: HQLedger, logger: Logger, clock: @escaping @Sendable () -> UTCInstant,
    lookUpsPerMinute: Int = HQServer.defaultLookUpsPerMinute
  ) {
    lookUps = LookUpAllowances(perMinute: lookUpsPerMinute)
    self.ledger = ledger
    self.logger = logger
    self.clock = clock
    authenticator = RequestAuthenticator(
      clock: { clock().seconds }, noncePath: ledger.file.path + ".nonces", logger: logger)
  }

  /// The application listening on `host:port`, with TLS when `tls` is given, taking at most
  /// `maxConnections` at once (more wait in the listen backlog until one closes).
  public func application(
    host: String, port: Int, tls: TLSConfiguration? = nil, maxConnections: Int, idleTimeout: Duration = idleTimeout,
    onServerRunning: @escaping @Sendable (Int) async -> Void
  ) throws -> some ApplicationProtocol {
    let http1 = HTTPServerBuilder.http1(configuration: .init(idleTimeout: TimeAmount(idleTimeout)))
    let server = try tls.map { try HTTPServerBuilder.tls(http1, tlsConfiguration: $0) } ?? http1
    return Application(
      router: router(), server: server,
      configuration: .init(
        address: .hostname(host, port: port), serverName: "loyalty-hq",
        availableConnectionsDelegate: MaximumAvailableConnections(maxConnections, logger: logger)),
      onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? port) },
      logger: logger)
  }

  /// The routes: health and metrics without a signature; every other /v1 route in a group behind
  /// `SignatureMiddleware`, its handler given the terminal that signed (`TerminalRequestContext`).
  func router() -> Router<HQRequestContext> {
    let router = Router(context: HQRequestContext.self)
    router.get("/v1/health") { _, _ in
      let health = ledger.metrics.health
      return Response(
        status: health.ok ? .ok : .serviceUnavailable, headers: [.contentType: "application/json"],
        body: .init(byteBuffer: ByteBuffer(string: health.json)))
    }
    router.get("/metrics") { _, _ in
      Response(
        status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
        body: .init(byteBuffer: ByteBuffer(string: ledger.metrics.text)))
    }
    let signed = router.group("v1")
      .add(middleware: SignatureMiddleware(authenticator: authenticator, ledger: ledger, logger: logger))
      .group(context: TerminalRequestContext.self)
    signed.post("batches") { request, context in try await submit(request, terminal: context.terminal) }
    signed.get("checkpoint") { request, context in try await checkpoint(request, terminal: context.terminal) }
    signed.get("ledger") { request, context in try await download(request, terminal: context.terminal) }
    signed.get("state") { request, context in try await stateDelta(request, terminal: context.terminal) }
    signed.get("account") { request, context in try await lookUp(request, terminal: context.terminal) }
    signed.get("snapshot") { _, _ in
      let data = try await ledger.currentSnapshot()
      ledger.metrics.servedSnapshot()
      return Response(
        status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
    return router
  }

  /// A batch of `terminal`'s, its body read and checked against the signed digest already.
  func submit(_ request: Request, terminal: String) async throws -> Response {
    var request = request
    let body = try await request.collectBody(upTo: Self.maxBody)
    let submission: Submission
    do { submission = try JSONDecoder().decode(Submission.self, from: Data(buffer: body)) } catch {
      throw HQRequestError(.badRequest, "the body is not a submission: \(error)")
    }
    guard submission.terminal == terminal else {
      throw HQRequestError(
        .forbidden, "terminal \(terminal) signed a batch of terminal \(submission.terminal)", code: "otherTerminal")
    }
    guard request.headers[.idempotencyKey] == submission.batch else {
      throw HQRequestError(.badRequest, "Idempotency-Key must be the batch id \(submission.batch)")
    }
    let answer: SubmissionAnswer
    do { answer = try await ledger.submit(submission, now: clock()) } catch let error as HQRequestError {
      throw error
    } catch let error as LedgerError {
      logger.error("admission failed", metadata: ["terminal": "\(terminal)", "reason": "\(error)"])
      throw HQRequestError(.serviceUnavailable, "HQ could not admit the batch: \(error); nothing appended")
    }
    ledger.metrics.admitted(terminal: terminal, entries: answer.appended.count)
    let end = await ledger.committed.offset
    logger.info(
      "admitted a batch",
      metadata: [
        "terminal": "\(terminal)", "batch": "\(submission.batch)", "lines": "\(submission.lines.count)",
        "appended": "\(answer.appended.count)", "held": "\(answer.held.count)", "refused": "\(answer.refused.count)",
        "from": "\(submission.since)", "to": "\(end)",
      ])
    return try encoded(answer)
  }

  func checkpoint(_ request: Request, terminal: String) async throws -> Response {
    let query = request.uri.queryParameters
    guard let from = query.get("from", as: Int.self), let seq = query.get("seq", as: Int64.self),
      let lines = query.get("lines", as: Int.self)
    else { throw HQRequestError(.badRequest, "from, seq and lines are required (integers)") }
    let now = clock()
    let head: String? = query.get("head").map { String($0) }
    let checkpoint = try await ledger.checkpoint(
      from: from, fromSeq: seq, lines: lines, head: head, for: terminal, now: now)
    ledger.metrics.synced(terminal: terminal, at: now.seconds)
    logger.info(
      "sync", metadata: ["terminal": "\(terminal)", "from": "\(from)", "to": "\(checkpoint.offset)"])
    return try encoded(checkpoint)
  }

  /// The state delta after epoch `since` (`StateDelta`), as of HQ's current epoch, signed.
  func stateDelta(_ request: Request, terminal: String) async throws -> Response {
    let query = request.uri.queryParameters
    guard let since = query.get("since", as: Int64.self), since >= 0 else {
      throw HQRequestError(
        .badRequest, "since must be a whole number, 0 or more: the epoch (seq) the replica holds, 0 for every state")
    }
    let program: String? = query.get("program").map { String($0) }
    let (bytes, etag) = try await ledger.stateDelta(
      since: since, programChecksum: program, terminal: terminal, now: clock())
    var headers: HTTPFields = [.contentType: "application/octet-stream", .eTag: etag, .acceptRanges: "bytes"]
    // A cut download resumed: the rest of the same bytes, while HQ's epoch is the one it began on.
    var start = 0
    if let range = request.headers[.range], request.headers[.ifRange] == etag,
      range.hasPrefix("bytes="), range.hasSuffix("-"), let from = Int(range.dropFirst(6).dropLast()),
      from > 0, from < bytes.count
    {
      start = from
      headers[.contentRange] = "bytes \(from)-\(bytes.count - 1)/\(bytes.count)"
    }
    ledger.metrics.downloaded(bytes: bytes.count - start)
    ledger.metrics.downloaded(bytes: bytes.count - start, terminal: terminal)
    logger.info(
      "state delta",
      metadata: ["terminal": "\(terminal)", "since": "\(since)", "bytes": "\(bytes.count - start)", "from": "\(start)"])
    return Response(
      status: start > 0 ? .partialContent : .ok, headers: headers,
      body: .init(byteBuffer: ByteBuffer(bytes: bytes[start...])))
  }

  /// A card looked up on demand by a counter whose replica does not hold it (`AccountLookup`).
  func lookUp(_ request: Request, terminal: String) async throws -> Response {
    let query = request.uri.queryParameters
    guard let card = query.get("card").map({ String($0) }), let basis = query.get("basis", as: Int64.self), basis >= 0
    else {
      throw HQRequestError(
        .badRequest, "card (a card's number) and basis (the seq this counter decides on, 0 or more) are required")
    }
    guard card.utf8.count <= 64 else {
      throw HQRequestError(
        .badRequest, "the card is \(card.utf8.count) characters long: a card's number has at most 64")
    }
    let now = clock()
    if let wait = lookUps.take(terminal, now: now.seconds) {
      ledger.metrics.lookUpLimited()
      logger.warning("look-ups over the allowance", metadata: ["terminal": "\(terminal)", "retryAfter": "\(wait)"])
      var error = HQRequestError(
        .tooManyRequests,
        "terminal \(terminal) looked up more than \(lookUps.perMinute) cards a minute: HQ answers its next look-up in "
          + "\(wait) s (loyalty-hq serve --look-ups-per-minute sets the allowance)", code: "tooManyLookUps")
      error.retryAfter = wait
      throw error
    }
    let answer: AccountLookup
    do { answer = try await ledger.lookUp(card: card, basis: basis, terminal: terminal, now: now) } catch let error
      as HQRequestError
    {
      ledger.metrics.refusedRequest(error.code)
      logger.warning(
        "look-up refused", metadata: ["terminal": "\(terminal)", "basis": "\(basis)", "reason": "\(error.code)"])
      throw error
    }
    ledger.metrics.lookedUp(found: answer.account != nil, terminal: terminal)
    logger.info(
      "look-up",
      metadata: ["terminal": "\(terminal)", "basis": "\(basis)", "found": "\(answer.account != nil)"])
    return try encoded(answer)
  }

  /// Streams the sealed bytes `from..<to` of the ledger file; no lock is held meanwhile.
  func download(_ request: Request, terminal: String) async throws -> Response {
    let query = request.uri.queryParameters
    guard let from = query.get("from", as: Int.self), let to = query.get("to", as: Int.self) else {
      throw HQRequestError(.badRequest, "from and to are required (byte offsets)")
    }
    let end = await ledger.committed.offset
    guard from >= 0, from <= to, to <= end else {
      throw HQRequestError(.rangeNotSatisfiable, "bytes \(from)..<\(to) are not within the sealed ledger (0..<\(end))")
    }
    let path = ledger.file.path
    let metrics = ledger.metrics
    let logger = logger
    return Response(
      status: .ok, headers: [.contentType: "application/x-ndjson"],
      body: .init(contentLength: to - from) { writer in
        // The file is read on a queue of this download's own: `pread` blocks, the pool must not.
        let reads = BlockingCallQueue(label: "hq-download")
        // The descriptor crosses to the queue as its number (a FileDescriptor is not Sendable).
        let raw = try await reads.run { () throws(HQRequestError) -> CInt in
          do { return try FileDescriptor.open(atPath: path, .readOnly, options: .closeOnExec).rawValue } catch {
            throw HQRequestError(.internalServerError, "cannot read the ledger")
          }
        }
        let fd = FileDescriptor(rawValue: raw)
        do {
          var position = from
          while position < to {
            let count = min(1 << 20, to - position)
            let at = position
            let chunk = try await reads.run { () throws(HQRequestError) -> [UInt8] in
              do { return try FileDescriptor(rawValue: raw).read(upTo: count, at: at) } catch {
                throw HQRequestError(.internalServerError, "cannot read the ledger")
              }
            }
            guard !chunk.isEmpty else { throw HQRequestError(.internalServerError, "the ledger ended early") }
            position += chunk.count
            try await writer.write(ByteBuffer(bytes: chunk))
          }
        } catch {
          fd.closeAfterFailure()
          throw error
        }
        do { try fd.close() } catch { throw HQRequestError(.internalServerError, "cannot read the ledger") }
        try await writer.finish(nil)
        metrics.downloaded(bytes: to - from)
        metrics.downloaded(bytes: to - from, terminal: terminal)
        logger.info(
          "download", metadata: ["terminal": "\(terminal)", "bytes": "\(to - from)", "from": "\(from)", "to": "\(to)"])
      })
  }

  func encoded(_ value: some Encodable) throws -> Response {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return Response(
      status: .ok, headers: [.contentType: "application/json"],
      body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(value))))
  }
}

import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// The request context of HQ's service: the registered terminal that signed the request, once
/// `SignatureMiddleware` has checked it (nil on the routes without a signature: health, metrics).
public struct HQRequestContext: RequestContext {
  public var coreContext: CoreRequestContextStorage
  /// The terminal whose registered key verified the request's signature.
  public var terminal: String?

  public init(source: Source) {
    coreContext = .init(source: source)
    terminal = nil
  }
}

/// The context of a signed route (/v1 but health): the terminal is known.
public struct TerminalRequestContext: ChildRequestContext {
  public var coreContext: CoreRequestContextStorage
  /// The terminal whose registered key verified the request's signature.
  public let terminal: String

  public init(context: HQRequestContext) throws {
    // Only reached without a terminal when a route is added to the group without the middleware.
    guard let terminal = context.terminal else {
      throw HQRequestError(
        .unauthorized, "the request is not signed (Signature-Input, Signature and Content-Digest are required)",
        code: "unsigned")
    }
    coreContext = context.coreContext
    self.terminal = terminal
  }
}

/// The signature check of every /v1 route but health, as middleware: the request's RFC 9421
/// signature by a registered terminal (`RequestAuthenticator`) first, then — only for a
/// registered terminal — its body, read whole (at most `HQServer.maxBody`) and checked against
/// the signed `Content-Digest`. A refusal is counted (`loyalty_requests_refused_total` by its
/// code) and logged, and answered with its status and JSON body; a request that passes goes on
/// with the body read and the terminal in its context.
struct SignatureMiddleware: RouterMiddleware {
  typealias Context = HQRequestContext

  let authenticator: RequestAuthenticator
  let ledger: HQLedger
  let logger: Logger

  func handle(
    _ request: Request, context: Context, next: (Request, Context) async throws -> Response
  ) async throws -> Response {
    // HQ's file read again first when it moved: a file that cannot be is said so, not taken for
    // an unknown terminal.
    try await ledger.readIfMoved()
    let signed = try await refusing(request) {
      try await authenticator.authenticate(request) { try? await ledger.registeredKey(of: $0) }
    }
    var request = request
    let body: ByteBuffer
    do { body = try await request.collectBody(upTo: HQServer.maxBody) } catch {
      throw HQRequestError(.contentTooLarge, "a batch body is at most \(HQServer.maxBody >> 20) MiB; send it in parts")
    }
    try await refusing(request) { try RequestAuthenticator.check(body: body, against: signed.digest) }
    var context = context
    context.terminal = signed.terminal
    return try await next(request, context)
  }

  /// `check`'s result, or its refusal counted and logged.
  func refusing<T>(_ request: Request, _ check: () async throws -> T) async throws -> T {
    do { return try await check() } catch let error as HQRequestError {
      ledger.metrics.refusedRequest(error.code)
      logger.notice(
        "refused a request", metadata: ["path": "\(request.uri.path)", "code": "\(error.code)", "reason": "\(error)"])
      throw error
    }
  }
}

import Foundation
import HTTPTypes
import Hummingbird
import Ledger
import LoyaltyCore
import SyncProtocol
import Synchronization

/// Checks a terminal's request: its HTTP message signature (RFC 9421) by the key HQ registered
/// for the terminal it names, the body's `Content-Digest`, a creation time within the window of
/// HQ's clock, and a nonce not seen within that window (a replay is refused).
final class RequestAuthenticator: Sendable {
  private let nonces = Mutex([String: Int64]())
  let clock: @Sendable () -> Int64

  init(clock: @escaping @Sendable () -> Int64) { self.clock = clock }

  /// The terminal that signed the request, or a refusal. `keyOf` gives the registered key.
  func authenticate(_ request: Request, body: ByteBuffer, keyOf: (String) async -> String?) async throws(HQRequestError)
    -> String
  {
    guard let input = request.headers[.signatureInput], let signature = request.headers[.signature],
      let digest = request.headers[.contentDigest]
    else {
      throw HQRequestError(
        .unauthorized, "the request is not signed (Signature-Input, Signature and Content-Digest are required)",
        code: "unsigned")
    }
    let bodyDigest = MessageSignature.contentDigest(of: body.readableBytesView)
    guard digest == bodyDigest else {
      throw HQRequestError(.badRequest, "Content-Digest does not match the body received", code: "digest")
    }
    let path = request.uri.path
    let query = request.uri.query.map { "?" + $0 } ?? ""
    let parsed: MessageSignature
    do throws(SyncProtocolError) {
      parsed = try MessageSignature.parse(
        signatureInput: input, method: request.method.rawValue, path: path, query: query, contentDigest: digest)
    } catch { throw HQRequestError(.unauthorized, error.description, code: "signatureInput") }
    let now = clock()
    guard abs(parsed.created - now) <= MessageSignature.window else {
      throw HQRequestError(
        .unauthorized,
        "the request was signed at \(parsed.created), more than \(MessageSignature.window) s from HQ's clock (\(now)): "
          + "check the terminal's clock", code: "window")
    }
    guard let key = await keyOf(parsed.keyID) else {
      throw HQRequestError(
        .unauthorized, "terminal \(parsed.keyID) is not registered with HQ (or was revoked)", code: "unknownKey")
    }
    guard parsed.isValid(signature: signature, publicKey: key) else {
      throw HQRequestError(
        .unauthorized, "the request's signature does not verify with the key HQ registered for \(parsed.keyID)",
        code: "badSignature")
    }
    let fresh = nonces.withLock { seen -> Bool in
      if seen.count > 100_000 { seen = seen.filter { $0.value >= now - MessageSignature.window } }
      return seen.updateValue(parsed.created, forKey: parsed.nonce) == nil
    }
    guard fresh else {
      throw HQRequestError(.unauthorized, "the request's nonce was used already (a replay)", code: "replay")
    }
    return parsed.keyID
  }
}

extension HTTPField.Name {
  static let signatureInput = Self("Signature-Input")!
  static let signature = Self("Signature")!
  static let contentDigest = Self("Content-Digest")!
  static let idempotencyKey = Self("Idempotency-Key")!
  static let checkpoint = Self("Loyalty-Checkpoint")!
}

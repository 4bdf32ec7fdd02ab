import Foundation
import HTTPTypes
import Hummingbird
import LedgerFormat
import LedgerStore
import LocalFiles
import Logging
import LoyaltyCore
import SyncProtocol
import Synchronization

/// Checks a terminal's request: its HTTP message signature (RFC 9421) by the key HQ registered
/// for the terminal it names, a creation time within the window of HQ's clock, and a nonce not
/// seen within that window (a replay is refused, across restarts too: nonces are kept in a file
/// next to the ledger). The signature covers the `Content-Digest` header, so it is checked before
/// any body is read; the body is then checked against that digest.
final class RequestAuthenticator: Sendable {
  private let nonces = Mutex([String: Int64]())
  let clock: @Sendable () -> Int64
  let noncePath: String?
  let logger: Logger?
  private let nonceWrites = BlockingCallQueue(label: "hq-nonces")

  init(clock: @escaping @Sendable () -> Int64, noncePath: String?, logger: Logger? = nil) {
    self.clock = clock
    self.logger = logger
    self.noncePath = noncePath
    guard let noncePath else { return }
    // Keep the nonces still inside the window; rewrite the file with those only.
    let now = clock()
    var kept: [String: Int64] = [:]
    if let text = try? String(contentsOfFile: noncePath, encoding: .utf8) {
      for line in text.split(separator: "\n") {
        let parts = line.split(separator: " ")
        if parts.count == 2, let created = Int64(parts[0]), created >= now - MessageSignature.window {
          kept[String(parts[1])] = created
        }
      }
    }
    let text = kept.map { "\($0.value) \($0.key)\n" }.joined()
    do { try text.write(toFile: noncePath, atomically: true, encoding: .utf8) } catch {
      // The old file stays: a superset of these nonces, still refusing every replay; it is only
      // not compacted.
      logger?.warning("cannot compact the nonce file \(noncePath): \(error); it keeps its older nonces")
    }
    nonces.withLock { $0 = kept }
  }

  /// The terminal that signed the request and the body digest it signed, or a refusal.
  /// `keyOf` gives the registered key.
  func authenticate(_ request: Request, keyOf: (String) async -> String?) async throws(HQRequestError) -> (
    terminal: String, digest: String
  ) {
    guard let input = request.headers[.signatureInput], let signature = request.headers[.signature],
      let digest = request.headers[.contentDigest]
    else {
      throw HQRequestError(
        .unauthorized, "the request is not signed (Signature-Input, Signature and Content-Digest are required)",
        code: "unsigned")
    }
    let path = request.uri.path
    let query = request.uri.query.map { "?" + $0 } ?? ""
    let parsed: MessageSignature
    do throws(SyncProtocolError) {
      parsed = try MessageSignature.parse(
        signatureInput: input, method: request.method.rawValue, path: path, query: query, contentDigest: digest)
    } catch { throw HQRequestError(.unauthorized, error.description, code: "signatureInput") }
    let now = clock()
    // No arithmetic on the request's number: it may be anything.
    guard parsed.created >= now - MessageSignature.window, parsed.created <= now + MessageSignature.window else {
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
        .unauthorized,
        "the request's signature does not verify with the key HQ registered for \(parsed.keyID) (is --key the "
          + "terminal's registered key file?)", code: "badSignature")
    }
    let fresh = nonces.withLock { seen -> Bool in
      if seen.count > 100_000 { seen = seen.filter { $0.value >= now - MessageSignature.window } }
      return seen.updateValue(parsed.created, forKey: parsed.nonce) == nil
    }
    guard fresh else {
      throw HQRequestError(.unauthorized, "the request's nonce was used already (a replay)", code: "replay")
    }
    if let noncePath {
      // Kept across a restart (a replay then is refused too), written off the pool, in order.
      let line = Array("\(parsed.created) \(parsed.nonce)\n".utf8)
      let written = await nonceWrites.run { () -> Bool in
        do { try SystemCall.append(line, toFileAt: noncePath, sync: false) } catch { return false }
        return true
      }
      if !written { logger?.warning("cannot record a nonce in \(noncePath): a replay after a restart is not refused") }
    }
    return (parsed.keyID, digest)
  }

  /// Checks the body received is the one the signature covers.
  static func check(body: ByteBuffer, against digest: String) throws(HQRequestError) {
    guard MessageSignature.contentDigest(of: body.readableBytesView) == digest else {
      throw HQRequestError(.badRequest, "Content-Digest does not match the body received", code: "digest")
    }
  }
}

extension HTTPField.Name {
  static let signatureInput = Self("Signature-Input")!
  static let signature = Self("Signature")!
  static let contentDigest = Self("Content-Digest")!
  static let idempotencyKey = Self("Idempotency-Key")!
  static let checkpoint = Self("Loyalty-Checkpoint")!
}

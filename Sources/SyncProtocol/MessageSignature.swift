import Crypto
import Foundation
import LedgerFormat

/// HTTP Message Signatures (RFC 9421) as this protocol uses them: one signature `sig1` by a
/// terminal's Ed25519 key over the method, path, query and the body's `Content-Digest`
/// (RFC 9530, sha-256), with its creation time, the terminal as `keyid` and a nonce.
///
///     Content-Digest: sha-256=:<base64>:
///     Signature-Input: sig1=("@method" "@path" "@query" "content-digest");created=1700000000;keyid="T01";nonce="…";alg="ed25519"
///     Signature: sig1=:<base64>:
///
/// HQ accepts a signature only within `window` seconds of its clock and each nonce once.
public struct MessageSignature: Hashable, Sendable {
  public var method: String
  public var path: String
  /// The query with its leading "?" ("?" alone when there is none, as RFC 9421 says).
  public var query: String
  public var contentDigest: String
  public var created: Int64
  public var keyID: String
  public var nonce: String

  /// How far (seconds) a request's creation time may be from HQ's clock.
  public static let window: Int64 = 300
  static let components = #"("@method" "@path" "@query" "content-digest")"#

  public init(
    method: String, path: String, query: String, contentDigest: String, created: Int64, keyID: String, nonce: String
  ) {
    self.method = method
    self.path = path
    self.query = query.isEmpty ? "?" : query
    self.contentDigest = contentDigest
    self.created = created
    self.keyID = keyID
    self.nonce = nonce
  }

  /// `sha-256=:<base64>:` of `body`.
  public static func contentDigest(of body: some DataProtocol) -> String {
    "sha-256=:\(Data(SHA256.hash(data: Data(body))).base64EncodedString()):"
  }

  /// A fresh random nonce (128 bits, hex).
  public static func makeNonce() -> String {
    var generator = SystemRandomNumberGenerator()
    return (0..<2).map { _ in String(generator.next() as UInt64, radix: 16) }.joined(separator: "-")
  }

  /// The value of `Signature-Input`.
  public var signatureInput: String { "sig1=\(signatureParams)" }

  var signatureParams: String {
    "\(Self.components);created=\(created);keyid=\"\(keyID)\";nonce=\"\(nonce)\";alg=\"ed25519\""
  }

  /// The signature base (RFC 9421 §2.5): one line per covered component, then the parameters.
  public var signatureBase: String {
    """
    "@method": \(method)
    "@path": \(path)
    "@query": \(query)
    "content-digest": \(contentDigest)
    "@signature-params": \(signatureParams)
    """
  }

  /// The value of `Signature` signed with `key`.
  public func signature(with key: LedgerKey) -> String {
    "sig1=:\(key.signature(for: Data(signatureBase.utf8)).base64EncodedString()):"
  }

  /// Reads the request's `Signature-Input` back (this protocol's form only), for the given
  /// method, path, query and digest of the body received.
  public static func parse(
    signatureInput: String, method: String, path: String, query: String, contentDigest: String
  ) throws(SyncProtocolError) -> MessageSignature {
    let prefix = "sig1=\(components);created="
    guard signatureInput.hasPrefix(prefix) else {
      throw SyncProtocolError("Signature-Input must be sig1=\(components) with created, keyid, nonce and alg")
    }
    let rest = signatureInput.dropFirst(prefix.count)
    let parts = rest.split(separator: ";", omittingEmptySubsequences: false)
    guard parts.count == 4, let created = Int64(parts[0]), parts[3] == "alg=\"ed25519\"",
      let keyID = quoted(parts[1], "keyid"), let nonce = quoted(parts[2], "nonce"),
      (1...64).contains(keyID.count), (8...64).contains(nonce.count)
    else { throw SyncProtocolError("Signature-Input's parameters are not created;keyid;nonce;alg=\"ed25519\"") }
    return MessageSignature(
      method: method, path: path, query: query, contentDigest: contentDigest, created: created, keyID: keyID,
      nonce: nonce)
  }

  private static func quoted(_ part: Substring, _ name: String) -> String? {
    guard part.hasPrefix("\(name)=\""), part.hasSuffix("\""), part.count >= name.count + 3 else { return nil }
    let value = part.dropFirst(name.count + 2).dropLast()
    guard value.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
      return nil
    }
    return String(value)
  }

  /// Whether `signature` (the `Signature` header's value) is this base signed by `publicKey`.
  public func isValid(signature: String, publicKey: String) -> Bool {
    guard signature.hasPrefix("sig1=:"), signature.hasSuffix(":"), signature.count > 7 else { return false }
    let b64 = String(signature.dropFirst(6).dropLast())
    guard let bytes = Data(base64Encoded: b64), bytes.base64EncodedString() == b64 else { return false }
    return LedgerKey.isValid(signature: bytes, for: Data(signatureBase.utf8), publicKeyBase64: publicKey)
  }
}

import Foundation
import LedgerFormat

/// A message HQ signs with its key, checked by a terminal against the key it pinned.
public protocol HQSigned {
  /// Base64 Ed25519 signature by HQ's key over `signedBytes()`; nil when unsigned (the file path).
  var signature: String? { get }
  /// The bytes HQ signs.
  func signedBytes() -> Data
}

extension HQSigned {
  /// Whether HQ's key `hqKey` (base64) signed exactly this message (a signature in canonical
  /// base64 only).
  public func isSigned(by hqKey: String) -> Bool {
    guard let signature, let bytes = Data(base64Encoded: signature), bytes.base64EncodedString() == signature else {
      return false
    }
    return LedgerKey.isValid(signature: bytes, for: signedBytes(), publicKeyBase64: hqKey)
  }
}

/// A message HQ signs as JSON: a domain line ("loyalty-sync/1 KIND"), then the message without its
/// signature as JSON with sorted keys (`SyncCheckpoint`, `AccountLookup`).
public protocol HQSignedJSON: HQSigned, Encodable {
  /// The domain line's kind ("checkpoint", "account"): a signature over one kind never passes
  /// for another.
  static var signedKind: String { get }
  var signature: String? { get set }
  /// HQ's clock when it signed (seconds since 1970).
  var signedAt: Int64 { get set }
}

extension HQSignedJSON {
  /// JSON with sorted keys, slashes as they are: how HQ sends these messages and signs them.
  public static var encoder: JSONEncoder {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return encoder
  }

  public func signedBytes() -> Data {
    var unsigned = self
    unsigned.signature = nil
    // Encoding plain integers and strings cannot fail.
    let body = (try? Self.encoder.encode(unsigned)) ?? Data()
    return Data("\(SyncCheckpoint.protocolName) \(Self.signedKind)\n".utf8) + body
  }

  /// Signs with HQ's key.
  public mutating func sign(with key: LedgerKey, at time: Int64) {
    signedAt = time
    signature = key.signature(for: signedBytes()).base64EncodedString()
  }
}

import Crypto
import Foundation
import HQBackOffice
import HexCoding
import LedgerFormat

/// The signature on every webhook request, as Stripe and GitHub sign theirs: the header
/// `Loyalty-Signature: t=UNIX,v1=HEX`, where HEX is HMAC-SHA256 under the shared secret of
/// `"\(t).\(body)"` (the decimal seconds, a dot, the body's exact bytes). An endpoint recomputes
/// it over the raw body, compares in constant time, and refuses a `t` outside its replay window
/// (5 minutes either way is the usual), so a captured request cannot be replayed later.
public struct WebhookSignature: Sendable {
  /// The header's name.
  public static let header = "Loyalty-Signature"
  /// The fewest characters a secret file may hold (`openssl rand -hex 32` gives 64).
  public static let minimumSecretLength = 16

  /// The secret's bytes (kept as bytes so the signer can cross concurrency domains).
  let secret: Data

  public init(secret: some DataProtocol) { self.secret = Data(secret) }

  /// Loads the shared secret from a file of this user's that only they can read (the same checks
  /// as a key file's); the secret is the file's text, surrounding whitespace left out.
  public static func load(from path: String) throws(LedgerError) -> WebhookSignature {
    let bytes = try PrivateFile.read(path, what: "secret file", limit: 4096)
    guard let text = String(validating: bytes, as: UTF8.self) else {
      throw LedgerError(line: 0, "secret file \(path) is not text; write the secret on one line (openssl rand -hex 32)")
    }
    let secret = text.trimmingCharacters(in: .whitespacesAndNewlines)
    guard secret.utf8.count >= minimumSecretLength, !secret.contains("\n") else {
      throw LedgerError(
        line: 0,
        "secret file \(path) must hold one line of at least \(minimumSecretLength) characters "
          + "(openssl rand -hex 32 > \(path); chmod 600 \(path))")
    }
    return WebhookSignature(secret: Data(secret.utf8))
  }

  /// The header's value for `body` sent at `time` (seconds since 1970).
  public func value(body: some DataProtocol, at time: Int64) -> String {
    "t=\(time),v1=" + Self.hex(mac(body: body, at: time))
  }

  /// Whether `value` signs `body` with this secret at a time within `window` seconds of `now` —
  /// what an endpoint does (it is here for tests and for endpoints written in Swift).
  public func verify(_ value: String, body: some DataProtocol, now: Int64, window: Int64 = 300) -> Bool {
    var time: Int64?
    var signatures: [String] = []
    for part in value.split(separator: ",") {
      let pair = part.split(separator: "=", maxSplits: 1).map(String.init)
      guard pair.count == 2 else { continue }
      if pair[0] == "t" { time = Int64(pair[1]) } else if pair[0] == "v1" { signatures.append(pair[1]) }
    }
    guard let time, abs(now - time) <= window else { return false }
    let expected = mac(body: body, at: time)
    return signatures.contains { Self.bytes(hex: $0).map { Self.constantTimeEqual($0, Array(expected)) } ?? false }
  }

  func mac(body: some DataProtocol, at time: Int64) -> HashedAuthenticationCode<SHA256> {
    var hmac = HMAC<SHA256>(key: SymmetricKey(data: secret))
    hmac.update(data: Data("\(time).".utf8))
    hmac.update(data: body)
    return hmac.finalize()
  }

  static func hex(_ mac: HashedAuthenticationCode<SHA256>) -> String {
    Hex.lowercase(digest: mac)
  }

  static func bytes(hex: String) -> [UInt8]? {
    let chars = Array(hex.utf8)
    guard chars.count % 2 == 0 else { return nil }
    var out: [UInt8] = []
    for i in stride(from: 0, to: chars.count, by: 2) {
      guard let byte = UInt8(String(decoding: chars[i..<i + 2], as: UTF8.self), radix: 16) else { return nil }
      out.append(byte)
    }
    return out
  }

  static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    return zip(a, b).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
  }
}

import Crypto
import Foundation
import HexCoding

extension LedgerKey {
  /// A public key's fingerprint, as `ledger status` shows it: the first 8 bytes of the SHA-256 of
  /// the raw 32-byte key, in hex (`sha256:1a2b3c4d5e6f7a8b`). Short enough to read out over the
  /// phone, long enough to tell a terminal's rotated key from its old one. Text that is not a
  /// base64 key gets the fingerprint of its bytes, marked so.
  public static func fingerprint(ofPublicKey base64: String) -> String {
    guard let raw = Data(base64Encoded: base64) else {
      return "sha256:" + Hex.lowercase(Array(SHA256.hash(data: Data(base64.utf8)).prefix(8))) + " (not base64)"
    }
    return "sha256:" + Hex.lowercase(Array(SHA256.hash(data: raw).prefix(8)))
  }

  /// This key's public fingerprint.
  public var fingerprint: String { Self.fingerprint(ofPublicKey: publicKeyBase64) }

}

import Crypto
import Foundation
import LocalFiles
import SystemPackage

/// An Ed25519 signing key in a file of its own, readable by its owner only.
///
/// Key files hold the 32-byte private key as base64 on one line. A key file that group or others
/// can read or write is refused: whoever can read it can seal entries as HQ or as a terminal.
public struct LedgerKey: Sendable {
  /// The 32-byte private key (kept as bytes so the key can cross concurrency domains).
  let rawKey: Data
  /// The public key as written in the ledger (base64).
  public let publicKeyBase64: String

  public init(privateKey: Curve25519.Signing.PrivateKey) {
    rawKey = privateKey.rawRepresentation
    publicKeyBase64 = privateKey.publicKey.rawRepresentation.base64EncodedString()
  }

  var privateKey: Curve25519.Signing.PrivateKey {
    // rawKey came from a valid key; the force-try cannot fail.
    try! Curve25519.Signing.PrivateKey(rawRepresentation: rawKey)
  }

  /// Creates a new key in `path` with mode 0600; refuses to overwrite an existing file.
  public static func generate(at path: String) throws(LedgerError) -> LedgerKey {
    let key = Curve25519.Signing.PrivateKey()
    let text = key.rawRepresentation.base64EncodedString() + "\n"
    do { try SystemCall.create(Array(text.utf8), atPath: path, permissions: .ownerReadWrite) } catch {
      switch error {
      case .create(let error):
        var info = stat()
        let isDirectory = stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
        let reason =
          error != .fileExists
          ? error.description
          : isDirectory ? "it is a directory" : "a file of that name exists (keys are never overwritten)"
        throw LedgerError(line: 0, "cannot create key file \(path): \(reason)")
      case .write: throw LedgerError(line: 0, "cannot write key file \(path)")
      }
    }
    return LedgerKey(privateKey: key)
  }

  /// Loads a key file, refusing anything but a regular file of this user's that only they can read
  /// (`PrivateFile`'s checks).
  public static func load(from path: String) throws(LedgerError) -> LedgerKey {
    let bytes = try PrivateFile.read(path, what: "key file", limit: 256)
    guard !bytes.isEmpty, bytes.count < 256,
      let text = String(validating: bytes, as: UTF8.self),
      let raw = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)),
      let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: raw)
    else { throw LedgerError(line: 0, "key file \(path) does not hold a base64 Ed25519 private key") }
    return LedgerKey(privateKey: key)
  }

  /// Signs a seal: its own canonical line without `sig`, which holds its sequence number, time,
  /// signer, count, key and the chain head (`prev`) that commits to every line before it.
  package func sign(seal: LedgerEntry) throws -> String {
    try privateKey.signature(for: Data(Self.sealMessage(seal).utf8)).base64EncodedString()
  }

  static func sealMessage(_ seal: LedgerEntry) -> String {
    var unsigned = seal
    unsigned.sig = nil
    return "\(LedgerHeader.format) seal\n" + LedgerLine.encode(unsigned)
  }

  /// Whether the seal's signature verifies under its key. Both must be canonical base64: a
  /// decoder ignores the padding bits of the last character, so a changed byte there would
  /// otherwise decode to the same signature and go unnoticed.
  static func verify(seal: LedgerEntry) -> Bool {
    guard let signature = seal.sig, let publicKey = seal.key, let sig = Data(base64Encoded: signature),
      sig.base64EncodedString() == signature, let pub = Data(base64Encoded: publicKey),
      pub.base64EncodedString() == publicKey, let key = try? Curve25519.Signing.PublicKey(rawRepresentation: pub)
    else { return false }
    return key.isValidSignature(sig, for: Data(sealMessage(seal).utf8))
  }
}

extension LedgerKey {
  /// An Ed25519 signature of `message` (a sync message, an HTTP signature base): the caller
  /// puts its own domain text first so a signature is never valid for another purpose.
  public func signature(for message: some DataProtocol) -> Data {
    // Signing with a valid key and a message in memory cannot fail.
    (try? privateKey.signature(for: Data(message))) ?? Data()
  }

  /// Whether `signature` is a valid Ed25519 signature of `message` by the public key given as
  /// canonical base64 (as the ledger writes keys).
  public static func isValid(signature: Data, for message: some DataProtocol, publicKeyBase64: String) -> Bool {
    guard let raw = Data(base64Encoded: publicKeyBase64), raw.base64EncodedString() == publicKeyBase64,
      let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw)
    else { return false }
    return key.isValidSignature(signature, for: Data(message))
  }
}

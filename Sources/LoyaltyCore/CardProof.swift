import Crypto
import HexCoding

/// A card's signature over one entry: proof the card was on the counter's reader when the entry
/// was made. A card that can sign (the loyalty applet, or a phone emulating it) holds a P-256 key
/// pair; its public key is recorded in the ledger when it is enrolled or linked (the entry's
/// `data`), and every entry that spends or moves its account's points or ownership carries the
/// signature of one of the account's cards (`CardProofPolicy`).
///
/// The card signs a challenge the counter makes: SHA-256 over the entry's fields (its kind, id,
/// time, terminal, account, cards, points, amounts, receipt, reference, item and basis) and a
/// fresh 16-byte nonce. A signature therefore fits one entry only: put on another entry (another
/// id, time or item), it does not verify, and the same entry twice is one id.
///
/// In an entry, `proof` is `<nonce, 32 hex digits>.<signature, 128 hex digits>` (the raw r‖s of
/// the ECDSA signature).
public struct CardProof: Hashable, Sendable {
  public var nonce: [UInt8]
  public var signature: [UInt8]

  public static let nonceLength = 16
  public static let signatureLength = 64
  /// Length of a public key in the ledger: the uncompressed X9.63 point (65 bytes) in hex.
  public static let publicKeyHexLength = 130

  public init(nonce: [UInt8], signature: [UInt8]) {
    self.nonce = nonce
    self.signature = signature
  }

  /// Parses an entry's `proof`, or says what is wrong with it.
  public init(parsing text: String) throws(RuleError) {
    let parts = text.split(separator: ".", omittingEmptySubsequences: false)
    guard parts.count == 2, let nonce = Hex.decode(String(parts[0])), let signature = Hex.decode(String(parts[1])),
      nonce.count == Self.nonceLength, signature.count == Self.signatureLength
    else {
      throw RuleError(
        .cardProof, "the card proof is not <32 hex digits>.<128 hex digits> (a nonce and a P-256 signature)")
    }
    self.init(nonce: nonce, signature: signature)
  }

  /// The entry's `proof` text.
  public var text: String { Hex.lowercase(nonce) + "." + Hex.lowercase(signature) }

  /// The 32 bytes a card signs for `entry` (its `proof` left out) with `nonce`.
  public static func challenge(for entry: Entry, nonce: [UInt8]) -> [UInt8] {
    var text = "loyalty/card-proof/v1"
    func add(_ name: String, _ value: String?) { text += "\n\(name)=\(value ?? "")" }
    add("kind", entry.kind.rawValue)
    add("id", entry.id)
    add("at", entry.at.description)
    add("terminal", entry.terminal)
    add("account", entry.account)
    add("card", entry.card)
    add("points", entry.points.map(String.init))
    add("amount", entry.amount.map(String.init))
    add("currency", entry.currency)
    add("receipt", entry.receipt)
    add("ref", entry.ref)
    add("data", entry.data)
    add("basis", entry.basis.map(String.init))
    add("nonce", Hex.lowercase(nonce))
    return Array(SHA256.hash(data: Array(text.utf8)))
  }

  /// Whether `signature` is the card's (`publicKey`, hex X9.63) over `entry`'s challenge.
  public func verifies(_ entry: Entry, publicKey: String) -> Bool {
    guard let key = Self.publicKey(publicKey),
      let signature = try? P256.Signing.ECDSASignature(rawRepresentation: signature)
    else { return false }
    return key.isValidSignature(signature, for: Self.challenge(for: entry, nonce: nonce))
  }

  /// A card's public key from the ledger's hex, or nil when it is not a P-256 point.
  public static func publicKey(_ hex: String) -> P256.Signing.PublicKey? {
    guard hex.utf8.count == publicKeyHexLength, let bytes = Hex.decode(hex) else { return nil }
    return try? P256.Signing.PublicKey(x963Representation: bytes)
  }

  /// Checks a public key a card gave (the X9.63 point) and returns its ledger spelling.
  public static func publicKeyText(_ bytes: [UInt8]) throws(RuleError) -> String {
    let hex = Hex.lowercase(bytes)
    guard publicKey(hex) != nil else {
      throw RuleError(.cardProof, "the card's public key is not an uncompressed P-256 point (65 bytes)")
    }
    return hex
  }
}

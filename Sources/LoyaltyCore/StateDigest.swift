import Crypto
import Foundation
import HexCoding
import _CryptoExtras

/// A digest of a whole set of account states that its holder updates in O(changed accounts): a
/// lattice hash (LtHash, Bellare–Micciancio; the parameters of Lewi et al., "Securing Update
/// Propagation with Homomorphic Hashing", 2019: 1 024 lanes of 16 bits).
///
/// Each element — an account's canonical state (`AccountStateEncoding`, which starts with its
/// id) — is expanded to 2 048 bytes: the AES-256-CTR keystream under SHA-256 of the domain and
/// the element, from the counter block 0…0 0002 (the ciphertext of zeros under AES-GCM with a
/// zero nonce, as the first version computed it; the key is used once per element, only as a
/// stream). The set's digest is the lane-wise sum modulo 2^16 of its
/// elements' expansions: adding an account adds its expansion, changing one subtracts the old
/// state's and adds the new one's, in any order. `checksum` (SHA-256 of the lanes) is what HQ
/// signs in an epoch.
public struct StateDigest: Hashable, Sendable {
  public static let lanes = 1024
  public static let byteCount = lanes * 2
  static let domain = Array("loyalty-state-digest/1\n".utf8)
  static let zeros = [UInt8](repeating: 0, count: byteCount)

  /// The lanes, little-endian when written as bytes.
  public private(set) var lanes: [UInt16]

  /// The digest of the empty set.
  public init() { lanes = [UInt16](repeating: 0, count: Self.lanes) }

  /// A digest as `bytes` (2 048 bytes, little-endian lanes) hold it, nil when they are not that.
  public init?(bytes: some Collection<UInt8>) {
    guard bytes.count == Self.byteCount else { return nil }
    let b = Array(bytes)
    lanes = (0..<Self.lanes).map { UInt16(b[2 * $0]) | UInt16(b[2 * $0 + 1]) << 8 }
  }

  /// The 2 048 bytes of the lanes, little-endian.
  public var bytes: [UInt8] {
    var out = [UInt8](repeating: 0, count: Self.byteCount)
    for (i, lane) in lanes.enumerated() {
      out[2 * i] = UInt8(truncatingIfNeeded: lane)
      out[2 * i + 1] = UInt8(truncatingIfNeeded: lane >> 8)
    }
    return out
  }

  /// SHA-256 of `bytes`, lower-case hex: what an epoch carries and HQ signs.
  public var checksum: String {
    Hex.lowercase(digest: SHA256.hash(data: bytes))
  }

  /// Adds an element (an account's canonical state).
  public mutating func add(_ element: [UInt8]) { combine(Self.expand(seed: Self.seed(element)), subtracting: false) }

  /// Removes an element that was added.
  public mutating func remove(_ element: [UInt8]) {
    combine(Self.expand(seed: Self.seed(element)), subtracting: true)
  }

  /// Adds or removes an element already expanded (`expand`).
  public mutating func combine(_ expansion: [UInt16], subtracting: Bool) {
    lanes.withUnsafeMutableBufferPointer { l in
      expansion.withUnsafeBufferPointer { e in
        if subtracting {
          for i in 0..<Self.lanes { l[i] &-= e[i] }
        } else {
          for i in 0..<Self.lanes { l[i] &+= e[i] }
        }
      }
    }
  }

  /// Adds another digest's set (two halves computed apart).
  public mutating func add(_ other: StateDigest) { combine(other.lanes, subtracting: false) }

  /// SHA-256 of the domain and an element: what its expansion is keyed with (HQ keeps it per
  /// account, 32 bytes, to take the element out again when the account changes).
  public static func seed(_ element: [UInt8]) -> Seed {
    var hash = SHA256()
    hash.update(data: domain)
    hash.update(data: element)
    var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    hash.finalize().withUnsafeBytes { raw in withUnsafeMutableBytes(of: &words) { $0.copyMemory(from: raw) } }
    return Seed(a: words.0, b: words.1, c: words.2, d: words.3)
  }

  /// An element's seed: the 32 bytes of its SHA-256, as four words.
  public struct Seed: Hashable, Sendable {
    let a: UInt64, b: UInt64, c: UInt64, d: UInt64

    var bytes: [UInt8] {
      var words = (a, b, c, d)
      return withUnsafeBytes(of: &words) { Array($0) }
    }
  }

  /// An element's 1 024 lanes, from its seed.
  public static func expand(seed: Seed) -> [UInt16] {
    let key = SymmetricKey(data: seed.bytes)
    // The AES-256-CTR keystream from the counter block AES-GCM starts its ciphertext at under a
    // zero nonce (inc32 of 0…0 0001): the same lanes as GCM's ciphertext of zeros, without its
    // tag. A 32-byte key and a 16-byte counter block: encrypting cannot fail.
    let stream = try! AES._CTR.encrypt(zeros, using: key, nonce: counterBlock)
    var lanes = [UInt16](repeating: 0, count: Self.lanes)
    stream.withUnsafeBytes { raw in
      lanes.withUnsafeMutableBytes { out in
        out.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw.prefix(byteCount)))
      }
    }
    for i in lanes.indices { lanes[i] = UInt16(littleEndian: lanes[i]) }
    return lanes
  }

  /// The expansion's first counter block.
  static let counterBlock = try! AES._CTR.Nonce(nonceBytes: [UInt8](repeating: 0, count: 15) + [2])
}

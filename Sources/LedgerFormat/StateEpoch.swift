import Foundation
import LoyaltyCore

/// What HQ vouches for after an admission: the state of every account at a sealed ledger position.
/// A terminal's replica at this epoch holds exactly `accounts` states whose balances sum to
/// `liability` and whose lattice digest (`StateDigest`) has this `digest` checksum. Signed with
/// HQ's key over the service; over the embedded file path the terminal computes it itself from HQ's
/// file (the same code) and it carries no signature.
///
/// The epoch is named by its ledger position: `seq` is the seq of the last sealed line, which is
/// also the basis of every entry a counter decides on this state (HQ's audit re-derives those on
/// the account as of that seq).
public struct StateEpoch: Codable, Hashable, Sendable {
  public static let format = "loyalty-state/1"

  public var format = StateEpoch.format
  /// The ledger position: seq of the last sealed line, its byte offset, its line count, and the
  /// chain's head there.
  public var seq: Int64
  public var offset: Int
  public var lines: Int
  public var head: String
  /// The program in force (its version) and SHA-256 (hex) of its JSON text as published.
  public var programVersion: Int?
  public var programChecksum: String?
  /// How many accounts, and Σ their balances (points outstanding; negative balances included).
  public var accounts: Int
  public var liability: Int64
  /// `StateDigest.checksum` of all account states.
  public var digest: String
  /// With regions in the program: the ledger's UTC day the regions are drawn on (its latest
  /// seal's), and each region's members — the accounts active there within the region's days —
  /// as their count, Σ balances and digest: what a terminal of that region holds (nil without).
  public var day: Int64?
  public var regions: [String: Region]?
  /// The registered terminals and their keys (base64), as the ledger says at `seq`: a terminal
  /// learns from them whether it may record.
  public var terminals: [String: String] = [:]
  /// HQ's public key (base64; over the file path, the ledger header's), and its clock when it
  /// signed and its Ed25519 signature (base64) over `signedBytes()` (nil over the file path).
  public var hqKey: String?
  public var signedAt: Int64 = 0
  public var signature: String?

  public init(
    seq: Int64, offset: Int, lines: Int, head: String, programVersion: Int?, programChecksum: String?,
    accounts: Int, liability: Int64, digest: String
  ) {
    self.seq = seq
    self.offset = offset
    self.lines = lines
    self.head = head
    self.programVersion = programVersion
    self.programChecksum = programChecksum
    self.accounts = accounts
    self.liability = liability
    self.digest = digest
  }

  /// One region's part of an epoch.
  public struct Region: Codable, Hashable, Sendable {
    public var accounts: Int
    public var liability: Int64
    public var digest: String

    public init(accounts: Int, liability: Int64, digest: String) {
      self.accounts = accounts
      self.liability = liability
      self.digest = digest
    }
  }

  /// A domain line, then the epoch without its signature as JSON with sorted keys.
  public func signedBytes() -> Data {
    var unsigned = self
    unsigned.signature = nil
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return Data("\(Self.format) epoch\n".utf8) + ((try? encoder.encode(unsigned)) ?? Data())
  }

  /// Signs with HQ's key at `time`.
  public mutating func sign(with key: LedgerKey, at time: Int64) {
    hqKey = key.publicKeyBase64
    signature = nil
    signedAt = time
    signature = key.signature(for: signedBytes()).base64EncodedString()
  }

  /// Whether HQ's key `hqKey` (base64) signed exactly this epoch.
  public func isSigned(by hqKey: String) -> Bool {
    guard self.hqKey == hqKey, let signature, let bytes = Data(base64Encoded: signature) else { return false }
    return LedgerKey.isValid(signature: bytes, for: signedBytes(), publicKeyBase64: hqKey)
  }
}

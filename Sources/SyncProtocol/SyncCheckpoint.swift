import Foundation
import LedgerFormat

/// Where a download of the ledger ends, as HQ vouches for it: the sealed position (bytes, lines,
/// seq, the chain's head there) and which entries of the range every reader leaves out, signed
/// with HQ's key.
///
/// A terminal reads the bytes `from..<offset`, checks the chain from its own head arrives at
/// `head`, and applies what is not left out — after checking the signature against the HQ key it
/// pinned. Over the embedded file path the checkpoint is the terminal's own audit and carries no
/// signature.
public struct SyncCheckpoint: Codable, Hashable, Sendable, HQSignedJSON {
  public static let signedKind = "checkpoint"
  /// The protocol, "loyalty-sync/1".
  public var format = SyncCheckpoint.protocolName
  /// The byte offset the download starts at (the terminal's checkpoint).
  public var from: Int
  /// Seq of the last entry before `from`.
  public var fromSeq: Int64
  /// The end of the download: after the last sealed batch HQ had admitted.
  public var offset: Int
  public var lines: Int
  public var lastSeq: Int64
  /// SHA-256 (hex) of the line at `offset`'s end.
  public var head: String
  /// Seqs after `fromSeq` that every reader leaves out (batches sealed past the admission,
  /// entries the audit refuses), and the same in words.
  public var leftOut: [Int64] = []
  public var leftOutReasons: [String] = []
  /// HQ's clock when it signed (seconds since 1970).
  public var signedAt: Int64 = 0
  /// Base64 Ed25519 signature by HQ's key over `signedBytes()`; nil over the file path.
  public var signature: String?

  public static let protocolName = "loyalty-sync/1"

  public init(from: Int, fromSeq: Int64, offset: Int, lines: Int, lastSeq: Int64, head: String) {
    self.from = from
    self.fromSeq = fromSeq
    self.offset = offset
    self.lines = lines
    self.lastSeq = lastSeq
    self.head = head
  }

  /// Checks the checkpoint can follow a terminal at `state` and is HQ's (when `hqKey` is given).
  public func check(follows state: LedgerVerifier.State, hqKey: String?) throws(SyncProtocolError) {
    guard format == Self.protocolName else {
      throw SyncProtocolError("HQ answered in \(format), this terminal speaks \(Self.protocolName)")
    }
    if let hqKey, !isSigned(by: hqKey) {
      throw SyncProtocolError(
        "HQ's checkpoint is not signed by the HQ key this terminal pinned (\(hqKey.prefix(12))…): nothing applied")
    }
    guard from == state.offset, fromSeq == state.lastSeq, offset >= from, lastSeq >= fromSeq else {
      throw SyncProtocolError(
        "HQ's checkpoint covers bytes \(from)..<\(offset) (seq \(fromSeq)…\(lastSeq)), not what follows this terminal's "
          + "position \(state.offset) (seq \(state.lastSeq)): nothing applied")
    }
  }
}

/// A message between a terminal and HQ that is not what the protocol allows, in words.
public struct SyncProtocolError: Error, CustomStringConvertible, Sendable {
  public var description: String
  public init(_ description: String) { self.description = description }
}

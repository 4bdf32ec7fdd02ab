import Foundation
import LedgerFormat
import LoyaltyCore

/// Reads a range of ledger bytes in parts of whole lines, verifies them as they go (the chain
/// from the terminal's head, seals, registrations) and hands over the entries every reader keeps:
/// what the checkpoint leaves out is skipped. At the end the chain must arrive exactly at the
/// checkpoint: otherwise the bytes are not the ones HQ vouched for and nothing is applied.
public struct LedgerBytesReader: Sendable {
  public let bytes: LedgerBytes
  public let checkpoint: SyncCheckpoint
  /// Entries handed over per part (memory stays flat in the size of the range).
  public var partSize = 8_192

  public init(bytes: LedgerBytes, checkpoint: SyncCheckpoint) {
    self.bytes = bytes
    self.checkpoint = checkpoint
  }

  /// Verifies and hands over the entries part by part; returns the verifier's state at the end.
  public func read(from start: LedgerVerifier.State, each: ([Entry]) throws -> Void) throws -> LedgerVerifier.State {
    let leftOut = Set(checkpoint.leftOut)
    var part: [Entry] = []
    part.reserveCapacity(partSize)
    var tail = LedgerVerifier.Tail.clean
    let reader = LedgerChunkReader(path: bytes.path, fileStart: bytes.start, count: bytes.count, chunkSize: 4 << 20)
    let state = try reader.read(
      from: start, tail: &tail,
      each: { e in
        if e.kind != .seal && !leftOut.contains(e.seq) { part.append(e.entry) }
      },
      afterChunk: {
        guard part.count >= partSize else { return }
        try each(part)
        part.removeAll(keepingCapacity: true)
      })
    if !part.isEmpty { try each(part) }
    guard state.offset == checkpoint.offset, state.head == checkpoint.head, state.lastSeq == checkpoint.lastSeq,
      tail == .clean, state.offset - start.offset == bytes.count
    else {
      throw LedgerError(
        line: state.lines,
        "the ledger's bytes do not arrive at HQ's checkpoint (seq \(checkpoint.lastSeq), head "
          + "\(checkpoint.head.prefix(12))…): they end at seq \(state.lastSeq), head \(state.head.prefix(12))…; "
          + "nothing applied")
    }
    return state
  }
}

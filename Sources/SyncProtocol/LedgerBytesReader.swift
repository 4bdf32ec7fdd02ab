import Foundation
import LedgerFormat
import LocalFiles
import LoyaltyCore
import SystemPackage

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
    let fd: FileDescriptor
    do { fd = try .open(atPath: bytes.path, .readOnly, options: .closeOnExec) } catch {
      throw LedgerError(line: 0, "cannot read \(bytes.path): \(error)")
    }
    return try fd.closeAfter(
      { () throws -> LedgerVerifier.State in try read(fd, from: start, each: each) },
      closeFailed: { (error) -> any Error in LedgerError(line: 0, "cannot read \(bytes.path): \(error)") })
  }

  /// `read`, from the open file.
  private func read(_ fd: FileDescriptor, from start: LedgerVerifier.State, each: ([Entry]) throws -> Void) throws
    -> LedgerVerifier.State
  {
    var state = start
    let leftOut = Set(checkpoint.leftOut)
    let verifier = LedgerVerifier()
    var pending: [UInt8] = []
    var done = 0
    let chunk = 4 << 20
    var buffer = [UInt8](repeating: 0, count: chunk)
    var part: [Entry] = []
    part.reserveCapacity(partSize)
    while done < bytes.count {
      let want = min(chunk, bytes.count - done)
      let n: Int
      do { n = try fd.read(into: &buffer, count: want, at: bytes.start + done) } catch {
        throw LedgerError(line: 0, "cannot read \(bytes.path): \(error)")
      }
      guard n > 0 else {
        throw LedgerError(line: 0, "\(bytes.path) ends \(bytes.count - done) bytes before the checkpoint's end")
      }
      done += n
      pending += buffer[0..<n]
      // Up to the last newline: whole lines only; the rest waits for the next read.
      guard let last = pending.lastIndex(of: 0x0A) else { continue }
      let pendingStart = done - pending.count  // range offset of pending[0]
      var tail = LedgerVerifier.Tail.clean
      try verifier.advance(
        &state, over: pending[...last], tail: &tail,
        each: { e in
          if e.kind != .seal && !leftOut.contains(e.seq) { part.append(e.entry) }
        })
      // A batch not sealed within this read is read again with the next part.
      pending.removeFirst((state.offset - start.offset) - pendingStart)
      if part.count >= partSize {
        try each(part)
        part.removeAll(keepingCapacity: true)
      }
    }
    if !part.isEmpty { try each(part) }
    guard state.offset == checkpoint.offset, state.head == checkpoint.head, state.lastSeq == checkpoint.lastSeq,
      pending.isEmpty
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

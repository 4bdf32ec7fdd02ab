import LocalFiles
import SystemPackage

/// The one chunked reader of ledger bytes in a file, verified as it goes: HQ's whole ledger, or
/// the range a terminal downloaded. It reads whole sealed batches (a chunk that ends inside a
/// batch is read again from the batch's start, with room for all of it), so memory stays the size
/// of a chunk plus the largest batch, whatever the ledger's length.
public struct LedgerChunkReader: Sendable {
  public let path: String
  /// Where in the file the bytes start (the ledger's offset `from.offset` is here).
  public var fileStart = 0
  /// How many bytes to read; nil for up to the file's end.
  public var count: Int?
  public var chunkSize: Int

  public init(path: String, fileStart: Int = 0, count: Int? = nil, chunkSize: Int = 8 << 20) {
    self.path = path
    self.fileStart = fileStart
    self.count = count
    self.chunkSize = max(1, chunkSize)
  }

  /// Verifies the bytes as the continuation of `start`, handing every sealed entry (seals
  /// included) to `each` in order and calling `afterChunk` after each chunk (where a reader hands
  /// over what it gathered); returns the state after the last sealed batch, with an incomplete
  /// last batch reported in `tail`.
  public func read(
    from start: LedgerVerifier.State, tail: inout LedgerVerifier.Tail, each: (LedgerEntry) -> Void,
    excluded: (LedgerVerifier.Exclusion) -> Void = { _ in }, afterChunk: () throws -> Void = {}
  ) throws -> LedgerVerifier.State {
    let fd: FileDescriptor
    do { fd = try .open(atPath: path, .readOnly, options: .closeOnExec) } catch {
      throw LedgerError(line: 0, "cannot read \(path): \(error)")
    }
    return try fd.closeAfter(
      { () throws -> LedgerVerifier.State in
        var state = start
        var buffer = [UInt8](repeating: 0, count: chunkSize)
        while true {
          let done = state.offset - start.offset
          let want = min(buffer.count, count.map { $0 - done } ?? .max)
          let filled: Int
          do { filled = want > 0 ? try fd.read(into: &buffer, count: want, at: fileStart + done) : 0 } catch {
            throw LedgerError(line: 0, "cannot read \(path): \(error)")
          }
          let before = state.offset
          try LedgerVerifier().advance(&state, over: buffer[..<filled], tail: &tail, each: each, excluded: excluded)
          try afterChunk()
          // The file's end, or the range's.
          if filled < buffer.count { return state }
          if state.offset == before { buffer = [UInt8](repeating: 0, count: buffer.count * 2) }
        }
      }, closeFailed: { (error) -> any Error in LedgerError(line: 0, "cannot read \(path): \(error)") })
  }
}

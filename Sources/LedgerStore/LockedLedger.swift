import Foundation
import LedgerFormat
import LocalFiles
import LoyaltyCore
import SystemPackage

/// A ledger held under the writers' exclusive lock (`LEDGER.lock`): read from a position, cut a
/// torn tail, append. Obtained from `LedgerFile.withExclusiveLock`; many terminals syncing at
/// once take turns here.
public struct LockedLedger: ~Copyable {
  let fd: FileDescriptor
  public let path: String

  /// Up to `count` bytes at `offset` (fewer at the end of the file).
  func bytes(at offset: Int, count: Int) throws(LedgerError) -> [UInt8] {
    do { return try fd.read(upTo: count, at: offset) } catch {
      throw LedgerError(line: 0, "cannot read \(path): \(error)")
    }
  }

  /// The file's size in bytes.
  public func size() throws(LedgerError) -> Int {
    do { return Int(try fd.stat().size) } catch { throw LedgerError(line: 0, "cannot read \(path): \(error)") }
  }

  /// The file's size in bytes, found by a seek to its end: the next write goes there.
  func seekToEnd() throws(LedgerError) -> Int {
    do { return try fd.size() } catch { throw LedgerError(line: 0, "cannot read \(path): \(error)") }
  }

  /// Checks that the file still holds what `state` verified: the same HQ key in its header and,
  /// at `state.offset`, the end of the line whose hash is `state.head`. A ledger rolled back, cut
  /// short or swapped for another chain's (however valid) fails here, named — before anything is
  /// read past the checkpoint or appended.
  public func checkExtends(_ state: LedgerVerifier.State) throws(LedgerError) {
    guard state.offset > 0, let pinned = state.hqKey else { return }  // the first sync pins it
    let first = try bytes(at: 0, count: 4096)
    guard let newline = first.firstIndex(of: 0x0A),
      let header = try? LedgerLine.parseHeader(first[..<newline]), header.hqKey == pinned
    else {
      throw LedgerError(
        line: 1, "\(path) is not the ledger this terminal syncs with (another HQ key in its header); nothing synced")
    }
    let size = try seekToEnd()
    guard size >= state.offset else {
      throw LedgerError(
        line: 0,
        "\(path) is \(size) bytes, shorter than the \(state.offset) this terminal already verified: it was cut or "
          + "rolled back; nothing synced (restore HQ's ledger)")
    }
    let back = min(state.offset, 1 << 20)
    let tail = try bytes(at: state.offset - back, count: back)
    guard tail.last == 0x0A else {
      throw LedgerError(
        line: state.lines, "\(path) no longer has a line end where this terminal's checkpoint is; nothing synced")
    }
    let body = tail.dropLast()
    let start = (body.lastIndex(of: 0x0A).map { $0 + 1 }) ?? body.startIndex
    guard LedgerLine.hash(body[start...]) == state.head else {
      throw LedgerError(
        line: state.lines,
        "line \(state.lines) of \(path) is not the one this terminal verified: the history was rewritten, rolled "
          + "back or swapped; nothing synced (restore HQ's ledger)")
    }
  }

  /// The bytes from `offset` to the end of the file.
  public func read(from offset: Int) throws(LedgerError) -> [UInt8] {
    let size = try seekToEnd()
    guard size >= offset else {
      throw LedgerError(line: 0, "\(path) is shorter (\(size) bytes) than the checkpoint (\(offset)); was it replaced?")
    }
    let buffer = try bytes(at: offset, count: size - offset)
    guard buffer.count == size - offset else {
      throw LedgerError(line: 0, "cannot read \(path): it changed size while being read")
    }
    return buffer
  }

  /// Cuts the file at `length` (an incomplete append after the last sealed batch) and syncs.
  public func truncate(to length: Int) throws(LedgerError) {
    do {
      try fd.truncate(to: length)
      try fd.sync()
    } catch { throw LedgerError(line: 0, "cannot repair \(path): \(error)") }
  }

  /// Appends `entries` and their seal after the sealed state `state` (the file must end there),
  /// then fsyncs, and moves `state` past the new batch. Returns the lines written, seal last.
  public func append(
    _ entries: [LedgerEntry], after state: inout LedgerVerifier.State, signer: String, key: LedgerKey, at: UTCInstant
  ) throws(LedgerError) -> [LedgerEntry] {
    guard !entries.isEmpty else { return [] }
    // Nothing verification would refuse is written: the signer, its key and the batch are checked
    // against the ledger's HQ key and registrations first.
    guard let hqKey = state.hqKey else {
      throw LedgerError(line: 0, "cannot append to \(path) without its verified state (HQ key, registrations)")
    }
    if let problem = LedgerVerifier.signerProblem(
      signer, key: key.publicKeyBase64, batch: entries, hqKey: hqKey, terminals: state.terminals)
    {
      throw LedgerError(line: 0, "nothing appended to \(path): \(problem.reason)")
    }
    var head = state.head
    var seq = state.lastSeq
    var written: [LedgerEntry] = []
    var text = ""
    let linesBefore = state.lines
    for var entry in entries {
      seq += 1
      entry.seq = seq
      entry.prev = head
      let line = LedgerLine.encode(entry)
      head = LedgerLine.hash(Array(line.utf8))
      text += line + "\n"
      written.append(entry)
    }
    seq += 1
    var seal = LedgerEntry(
      seq: seq, kind: .seal, id: "seal-\(seq)", at: at, terminal: signer, count: entries.count,
      key: key.publicKeyBase64,
      prev: head)
    do { seal.sig = try key.sign(seal: seal) } catch { throw LedgerError(line: 0, "cannot sign the seal: \(error)") }
    text += LedgerLine.encode(seal) + "\n"
    written.append(seal)
    // The write goes where the seek to the end left the offset: where the last sealed batch ends.
    guard try seekToEnd() == state.offset else {
      throw LedgerError(line: 0, "\(path) does not end where its last sealed batch ends; verify it first")
    }
    let bytes = Array(text.utf8)
    do {
      try fd.write(all: bytes)
      try fd.sync()
    } catch {
      // Take back what part of the batch was written (a full disk): the file ends sealed again.
      do {
        try fd.truncate(to: state.offset)
        try fd.sync()
      } catch let rollback {
        throw LedgerError(
          line: 0,
          "cannot append to \(path): \(error); nor could the part written be taken back (\(rollback)): check the "
            + "ledger's tail with `loyalty-hq ledger verify`")
      }
      throw LedgerError(line: 0, "cannot append to \(path): \(error)")
    }
    // A terminal's batch registers no keys, so `terminals` stays as it is; HQ's callers re-read.
    state.offset += bytes.count
    state.lines = linesBefore + written.count
    state.lastSeq = seq
    state.head = LedgerLine.hash(Array(LedgerLine.encode(seal).utf8))
    state.entries += entries.count
    state.seals += 1
    return written
  }
}

extension LedgerFile {
  /// Runs `body` with the writers' lock held exclusively (blocking until other writers are
  /// done). The lock is `LEDGER.lock` (mode 600), not the ledger: a reader cannot take it.
  public func withExclusiveLock<T>(_ body: (borrowing LockedLedger) throws -> T) throws -> T {
    let fd: FileDescriptor
    do { fd = try .open(atPath: path, .readWrite, options: .closeOnExec) } catch {
      throw LedgerError(line: 0, "cannot open ledger \(path): \(error)")
    }
    return try fd.closeAfter(
      { () throws -> T in
        let lock = try Self.openLockFile(lockPath)
        // Closing the lock file releases the lock.
        return try lock.closeAfter(
          { () throws -> T in
            do { try lock.lock(exclusive: true) } catch {
              throw LedgerError(line: 0, "cannot lock \(lockPath): \(error)")
            }
            let locked = LockedLedger(fd: fd, path: path)
            return try body(locked)
          },
          closeFailed: { (error) -> any Error in LedgerError(line: 0, "cannot release the lock \(lockPath): \(error)") }
        )
      }, closeFailed: { (error) -> any Error in LedgerError(line: 0, "cannot close ledger \(path): \(error)") })
  }
}

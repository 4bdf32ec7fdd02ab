import Foundation
import LedgerFormat
import LocalFiles
import LoyaltyCore

/// A ledger held under the writers' exclusive lock (`LEDGER.lock`): read from a position, cut a
/// torn tail, append. Obtained from `LedgerFile.withExclusiveLock`; many terminals syncing at
/// once take turns here.
public struct LockedLedger: ~Copyable {
  let fd: Int32
  public let path: String

  /// Up to `count` bytes at `offset` (fewer at the end of the file).
  func bytes(at offset: Int, count: Int) throws(LedgerError) -> [UInt8] {
    var buffer = [UInt8](repeating: 0, count: count)
    var done = 0
    while done < count {
      let n = SystemCall.retrying {
        buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, count - done, off_t(offset + done)) }
      }
      guard n >= 0 else { throw LedgerError(line: 0, "cannot read \(path): \(String(cString: strerror(errno)))") }
      if n == 0 { break }
      done += n
    }
    return Array(buffer.prefix(done))
  }

  /// The file's size in bytes.
  public func size() throws(LedgerError) -> Int {
    var info = stat()
    guard fstat(fd, &info) == 0 else {
      throw LedgerError(line: 0, "cannot read \(path): \(String(cString: strerror(errno)))")
    }
    return Int(info.st_size)
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
    let size = Int(lseek(fd, 0, SEEK_END))
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
    let size = Int(lseek(fd, 0, SEEK_END))
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
    guard SystemCall.retrying({ ftruncate(fd, off_t(length)) }) == 0, SystemCall.retrying({ fsync(fd) }) == 0 else {
      throw LedgerError(line: 0, "cannot repair \(path): \(String(cString: strerror(errno)))")
    }
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
    guard lseek(fd, off_t(state.offset), SEEK_SET) >= 0, Int(lseek(fd, 0, SEEK_END)) == state.offset else {
      throw LedgerError(line: 0, "\(path) does not end where its last sealed batch ends; verify it first")
    }
    let bytes = Array(text.utf8)
    guard SystemCall.writeAll(fd, bytes), SystemCall.retrying({ fsync(fd) }) == 0 else {
      let reason = String(cString: strerror(errno))
      // Take back what part of the batch was written (a full disk): the file ends sealed again.
      _ = ftruncate(fd, off_t(state.offset))
      _ = fsync(fd)
      throw LedgerError(line: 0, "cannot append to \(path): \(reason)")
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
    let fd = open(path, O_RDWR | O_CLOEXEC)
    guard fd >= 0 else { throw LedgerError(line: 0, "cannot open ledger \(path): \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    let lock = try Self.openLockFile(lockPath)
    defer { close(lock) }  // releases the lock
    guard SystemCall.retrying({ flock(lock, LOCK_EX) }) == 0 else {
      throw LedgerError(line: 0, "cannot lock \(lockPath): \(String(cString: strerror(errno)))")
    }
    let locked = LockedLedger(fd: fd, path: path)
    return try body(locked)
  }
}

import Foundation
import LoyaltyEngine

/// The central ledger file: append-only, one line per entry, every batch closed by a signed seal.
public struct LedgerFile: Sendable {
  public let path: String

  public init(path: String) { self.path = path }

  /// Creates a new ledger with HQ's public key in its header; refuses to overwrite one.
  public static func create(at path: String, hqKey: LedgerKey, created: UTCInstant) throws(LedgerError) -> LedgerFile {
    let line = LedgerLine.encode(LedgerHeader(hqKey: hqKey.publicKeyBase64, created: created)) + "\n"
    let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
    guard fd >= 0 else {
      throw LedgerError(line: 0, "cannot create ledger \(path): \(String(cString: strerror(errno)))")
    }
    defer { close(fd) }
    guard writeAll(fd, Array(line.utf8)), fsync(fd) == 0 else {
      throw LedgerError(line: 0, "cannot write ledger \(path)")
    }
    return LedgerFile(path: path)
  }

  /// Appends `entries` and a seal signed by `key` for `signer`, under an exclusive lock, and
  /// fsyncs before returning. Sequence numbers and the chain are filled in here. Returns the
  /// lines as written.
  @discardableResult
  public func append(_ entries: [LedgerEntry], signer: String, key: LedgerKey, at: UTCInstant) throws(LedgerError)
    -> [LedgerEntry]
  {
    guard !entries.isEmpty else { return [] }
    let fd = open(path, O_RDWR)
    guard fd >= 0 else { throw LedgerError(line: 0, "cannot open ledger \(path): \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    guard flock(fd, LOCK_EX) == 0 else { throw LedgerError(line: 0, "cannot lock ledger \(path)") }
    defer { flock(fd, LOCK_UN) }
    let (lastLine, lastSeq) = try tail(fd)
    var head = LedgerLine.hash(lastLine)
    var seq = lastSeq
    var written: [LedgerEntry] = []
    var text = ""
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
    do { seal.sig = try key.sign(seal: seal) } catch {
      throw LedgerError(line: 0, "cannot sign the seal: \(error)")
    }
    text += LedgerLine.encode(seal) + "\n"
    written.append(seal)
    guard lseek(fd, 0, SEEK_END) >= 0, Self.writeAll(fd, Array(text.utf8)), fsync(fd) == 0 else {
      throw LedgerError(line: 0, "cannot append to ledger \(path): \(String(cString: strerror(errno)))")
    }
    return written
  }

  /// The last complete line and its sequence number (0 for the header).
  func tail(_ fd: Int32) throws(LedgerError) -> ([UInt8], Int64) {
    let size = lseek(fd, 0, SEEK_END)
    guard size > 0 else { throw LedgerError(line: 0, "ledger \(path) is empty (no header)") }
    var chunk = 4096
    while true {
      let start = max(0, Int(size) - chunk)
      var buffer = [UInt8](repeating: 0, count: Int(size) - start)
      guard pread(fd, &buffer, buffer.count, off_t(start)) == buffer.count else {
        throw LedgerError(line: 0, "cannot read \(path)")
      }
      guard buffer.last == 0x0A else {
        throw LedgerError(line: 0, "the last line of \(path) is torn (no newline); repair it before appending")
      }
      let body = buffer.dropLast()
      if let newline = body.lastIndex(of: 0x0A) {
        let line = Array(body[(newline + 1)...])
        return (line, try seqOf(line))
      }
      if start == 0 { return (Array(body), 0) }
      chunk *= 4
    }
  }

  private func seqOf(_ line: [UInt8]) throws(LedgerError) -> Int64 {
    try LedgerLine.parseEntry(line[...], line: 0).seq
  }

  static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
    var sent = 0
    while sent < bytes.count {
      let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + sent, bytes.count - sent) }
      if n > 0 {
        sent += n
      } else if n < 0 && errno == EINTR {
        continue
      } else {
        return false
      }
    }
    return true
  }
}

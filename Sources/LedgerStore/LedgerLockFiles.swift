import Foundation
import LedgerFormat
import LocalFiles

/// The ledger's companion lock files, next to it and readable by HQ's user only (mode 600):
///
/// - `LEDGER.lock`, the writers' lock: every writer (HQ's commands, a terminal's sync through the
///   file, `hq serve`'s admissions) holds it exclusively while it reads the tail and appends.
///   Not the ledger itself: anyone who may read the ledger (mode 644) could `flock` that and stop
///   every writer.
/// - `LEDGER.serve.lock`, held by `hq serve` for its whole life (its pid written in it): a second
///   service on the same ledger refuses to start.
extension LedgerFile {
  /// The writers' lock file.
  public var lockPath: String { path + ".lock" }
  /// The service's lock file.
  public var serveLockPath: String { path + ".serve.lock" }

  /// Opens a companion lock file, creating it with mode 600 (never through a symbolic link).
  /// One that another user owns is refused: that user could hold it.
  static func openLockFile(_ lockPath: String) throws(LedgerError) -> Int32 {
    let fd = SystemCall.retrying { open(lockPath, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600) }
    guard fd >= 0 else {
      throw LedgerError(
        line: 0,
        "cannot open the lock file \(lockPath): \(String(cString: strerror(errno))) (HQ's user must be able to "
          + "create it next to the ledger)")
    }
    var info = stat()
    guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
      close(fd)
      throw LedgerError(line: 0, "\(lockPath) is not a regular file: remove it (HQ's user creates it, mode 600)")
    }
    guard info.st_uid == geteuid() else {
      close(fd)
      throw LedgerError(
        line: 0,
        "\(lockPath) belongs to another user (uid \(info.st_uid)), who could hold the ledger's lock: remove it "
          + "(HQ's user creates it, mode 600)")
    }
    if info.st_mode & 0o077 != 0 { _ = fchmod(fd, 0o600) }
    return fd
  }

  /// Takes the service's lock for the rest of this process's life (the descriptor is never
  /// closed) and writes this process's pid in it; refuses when another `hq serve` holds it.
  public func holdServeLock() throws(LedgerError) {
    guard access(path, R_OK | W_OK) == 0 else {
      throw LedgerError(line: 0, "cannot open ledger \(path): \(String(cString: strerror(errno)))")
    }
    let fd = try Self.openLockFile(serveLockPath)
    guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
      let reason = errno
      defer { close(fd) }
      guard reason == EWOULDBLOCK else {
        throw LedgerError(line: 0, "cannot lock \(serveLockPath): \(String(cString: strerror(reason)))")
      }
      var buffer = [UInt8](repeating: 0, count: 32)
      let n = max(0, pread(fd, &buffer, buffer.count, 0))
      let pid = String(decoding: buffer[..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
      throw LedgerError(
        line: 0, "another loyalty-hq serve holds \(path) (pid \(pid.isEmpty ? "unknown" : pid)); stop it first")
    }
    let text = Array("\(getpid())\n".utf8)
    _ = ftruncate(fd, 0)
    _ = text.withUnsafeBytes { pwrite(fd, $0.baseAddress!, $0.count, 0) }
  }
}

import Foundation
import LedgerFormat
import LocalFiles
import SystemPackage

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
  static func openLockFile(_ lockPath: String) throws(LedgerError) -> FileDescriptor {
    let fd: FileDescriptor
    do {
      fd = try .open(
        atPath: lockPath, .readWrite, options: [.create, .noFollow, .closeOnExec], permissions: .ownerReadWrite)
    } catch {
      throw LedgerError(
        line: 0,
        "cannot open the lock file \(lockPath): \(error) (HQ's user must be able to create it next to the ledger)")
    }
    return try fd.closeIfThrows { () throws(LedgerError) -> FileDescriptor in
      let notRegular = LedgerError(
        line: 0, "\(lockPath) is not a regular file: remove it (HQ's user creates it, mode 600)")
      let info: Stat
      do { info = try fd.stat() } catch { throw notRegular }
      guard info.type == .regular else { throw notRegular }
      let uid = info.userID.rawValue
      guard uid == geteuid() else {
        throw LedgerError(
          line: 0,
          "\(lockPath) belongs to another user (uid \(uid)), who could hold the ledger's lock: remove it "
            + "(HQ's user creates it, mode 600)")
      }
      if info.permissions.rawValue & 0o077 != 0 {
        do { try fd.setPermissions(.ownerReadWrite) } catch {
          throw LedgerError(line: 0, "cannot make \(lockPath) mode 600: \(error) (chmod 600 \(lockPath))")
        }
      }
      return fd
    }
  }

  /// Takes the service's lock for the rest of this process's life (the descriptor is never
  /// closed) and writes this process's pid in it; refuses when another `hq serve` holds it.
  public func holdServeLock() throws(LedgerError) {
    guard access(path, R_OK | W_OK) == 0 else {
      throw LedgerError(line: 0, "cannot open ledger \(path): \(String(cString: strerror(errno)))")
    }
    let fd = try Self.openLockFile(serveLockPath)
    try fd.closeIfThrows { () throws(LedgerError) in
      let held: Bool
      do { held = try fd.tryLock(exclusive: true) } catch {
        throw LedgerError(line: 0, "cannot lock \(serveLockPath): \(error)")
      }
      guard held else {
        // The holder's pid only names it in the refusal: unreadable, it is "unknown".
        let written = (try? fd.read(upTo: 32, at: 0)) ?? []
        let pid = String(decoding: written, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        throw LedgerError(
          line: 0, "another loyalty-hq serve holds \(path) (pid \(pid.isEmpty ? "unknown" : pid)); stop it first")
      }
      // The descriptor was just opened: its offset is 0, where the pid goes.
      do {
        try fd.truncate(to: 0)
        try fd.write(all: Array("\(getpid())\n".utf8))
      } catch { throw LedgerError(line: 0, "cannot write this process's pid in \(serveLockPath): \(error)") }
    }
  }
}

import Foundation
import SystemPackage

/// The system calls that are not about one open file: a socket's `send`/`recv` (again while a
/// signal interrupts them), the calls on paths (`rename`, `mkdir`), and an append to a log file
/// in one call. A file's descriptor goes through `FileDescriptor` (swift-system) and its
/// extension in this module.
public enum SystemCall {
  /// Calls `body` until it does not fail with EINTR (a signal arrived mid-call, e.g. SIGCHLD in a
  /// process that spawns children); returns its last result, with `errno` as the call left it.
  @inline(__always)
  public static func retrying<T: FixedWidthInteger & SignedInteger>(_ body: () -> T) -> T {
    while true {
      let result = body()
      if result == -1 && errno == EINTR { continue }
      return result
    }
  }

  /// Appends `bytes` to the file at `path` (created with mode 600, never through a symbolic
  /// link), fsynced when `sync`, and closes it: a log kept next to the ledger (answers, nonces,
  /// refusals).
  public static func append(_ bytes: [UInt8], toFileAt path: String, sync: Bool) throws(Errno) {
    let fd = try FileDescriptor.open(
      atPath: path, .writeOnly, options: [.create, .append, .noFollow, .closeOnExec], permissions: .ownerReadWrite)
    try fd.closeAfter(
      { () throws(Errno) in
        try fd.write(all: bytes)
        if sync { try fd.sync() }
      }, closeFailed: { $0 })
  }

  /// Why `create` failed: the file could not be made (one of that name exists, say), or its
  /// bytes could not be stored.
  public enum CreateFailure: Error {
    case create(Errno)
    case write(Errno)
  }

  /// Creates a new file at `path` holding `bytes`, written and synced to the device; never
  /// overwrites a file of that name.
  public static func create(_ bytes: [UInt8], atPath path: String, permissions: FilePermissions)
    throws(CreateFailure)
  {
    let fd: FileDescriptor
    do {
      fd = try .open(
        atPath: path, .writeOnly, options: [.create, .exclusiveCreate, .closeOnExec], permissions: permissions)
    } catch { throw .create(error) }
    try fd.closeAfter(
      { () throws(CreateFailure) in
        do throws(Errno) {
          try fd.write(all: bytes)
          try fd.sync()
        } catch { throw .write(error) }
      }, closeFailed: { .write($0) })
  }

  /// Renames `source` to `target` (`rename`), replacing a file of that name.
  public static func rename(_ source: String, to target: String) throws(Errno) {
    #if canImport(Glibc)
      let result = Glibc.rename(source, target)
    #else
      let result = Darwin.rename(source, target)
    #endif
    guard result == 0 else { throw Errno(rawValue: errno) }
  }

  /// Creates the directory `path` with `permissions` (less the process's umask).
  public static func makeDirectory(_ path: String, permissions: FilePermissions) throws(Errno) {
    guard mkdir(path, permissions.rawValue) == 0 else { throw Errno(rawValue: errno) }
  }
}

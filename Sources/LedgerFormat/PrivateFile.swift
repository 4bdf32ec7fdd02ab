import Foundation
import LocalFiles

/// A secret in a file of its own (a key, a webhook secret), readable by its owner only.
///
/// A symbolic link is refused (it can be pointed elsewhere after the check), as are a directory
/// or device, a file owned by another user (they could swap the secret), and a mode that lets
/// group or others in. The checks are made on the opened descriptor, so they are about the very
/// file that is read.
public enum PrivateFile {
  /// Reads at most `limit` bytes of `path` after the checks; errors start with `what` and the path
  /// ("key file /etc/hq.key has mode 644; it must be 600 (chmod 600 /etc/hq.key)").
  public static func read(_ path: String, what: String, limit: Int) throws(LedgerError) -> [UInt8] {
    func refuse(_ why: String) -> LedgerError { LedgerError(line: 0, "\(what) \(path) \(why)") }
    let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
    guard fd >= 0 else {
      let code = errno
      if code == ELOOP { throw refuse("is a symbolic link; name the \(what) itself") }
      throw refuse("cannot be read: \(String(cString: strerror(code)))")
    }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else { throw refuse("cannot be read: \(String(cString: strerror(errno)))") }
    switch info.st_mode & S_IFMT {
    case S_IFREG: break
    case S_IFDIR: throw refuse("is a directory, not a \(what)")
    default: throw refuse("is not a regular file")
    }
    guard info.st_uid == geteuid() else {
      throw refuse("is owned by uid \(info.st_uid), not by this user (uid \(geteuid())); its owner must run this")
    }
    let mode = info.st_mode & 0o777
    guard mode & 0o077 == 0 else {
      throw refuse("has mode \(String(mode, radix: 8)); it must be 600 (chmod 600 \(path))")
    }
    var bytes = [UInt8](repeating: 0, count: limit)
    let count = SystemCall.retrying { Glibc.read(fd, &bytes, bytes.count) }
    guard count >= 0 else { throw refuse("cannot be read: \(String(cString: strerror(errno)))") }
    return Array(bytes[..<count])
  }
}

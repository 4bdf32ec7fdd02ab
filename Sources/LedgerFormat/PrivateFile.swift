import Foundation
import LocalFiles
import SystemPackage

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
    let fd: FileDescriptor
    do { fd = try .open(atPath: path, .readOnly, options: [.noFollow, .closeOnExec, .nonBlocking]) } catch {
      if error == .tooManySymbolicLinkLevels { throw refuse("is a symbolic link; name the \(what) itself") }
      throw refuse("cannot be read: \(error)")
    }
    return try fd.closeAfter(
      { () throws(LedgerError) -> [UInt8] in
        let info: Stat
        do { info = try fd.stat() } catch { throw refuse("cannot be read: \(error)") }
        switch info.type {
        case .regular: break
        case .directory: throw refuse("is a directory, not a \(what)")
        default: throw refuse("is not a regular file")
        }
        let uid = info.userID.rawValue
        guard uid == geteuid() else {
          throw refuse("is owned by uid \(uid), not by this user (uid \(geteuid())); its owner must run this")
        }
        let mode = info.permissions.rawValue & 0o777
        guard mode & 0o077 == 0 else {
          throw refuse("has mode \(String(mode, radix: 8)); it must be 600 (chmod 600 \(path))")
        }
        do { return try fd.read(upTo: limit, at: 0) } catch { throw refuse("cannot be read: \(error)") }
      }, closeFailed: { refuse("cannot be read: \($0)") })
  }
}

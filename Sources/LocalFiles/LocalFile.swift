import Foundation
import SystemPackage

/// A file named by an operator (a program, a scenario, card profiles, a snapshot), read whole.
///
/// Everything a person can get wrong about a path is named in words: missing, a directory, not a
/// regular file, unreadable, or larger than the reader of that kind of file accepts.
public enum LocalFile {
  /// Reads the regular file at `path`; `what` names it in errors ("program", "scenario").
  public static func read(_ path: String, as what: String, limit: Int = 16 << 20) throws(LocalFileError) -> Data {
    func fail(_ problem: String) -> LocalFileError { LocalFileError(what: what, path: path, problem: problem) }
    let fd: FileDescriptor
    do { fd = try .open(atPath: path, .readOnly, options: [.closeOnExec, .nonBlocking]) } catch {
      throw fail("\(error)")
    }
    return try fd.closeAfter(
      { () throws(LocalFileError) -> Data in
        let info: Stat
        do { info = try fd.stat() } catch { throw fail("\(error)") }
        switch info.type {
        case .regular: break
        case .directory: throw fail("it is a directory, not a file")
        default: throw fail("it is not a regular file")
        }
        guard info.size <= limit else { throw fail("it is \(info.size) bytes; at most \(limit) are accepted") }
        // One byte more than its size: a file that grew meanwhile is read past its size, up to the limit.
        let bytes: [UInt8]
        do { bytes = try fd.read(upTo: Int(info.size) + 1, at: 0) } catch { throw fail("\(error)") }
        guard bytes.count <= limit else { throw fail("it is larger than \(limit) bytes") }
        return Data(bytes)
      }, closeFailed: { fail($0.description) })
  }
}

/// Why an operator's file could not be read.
public struct LocalFileError: Error, CustomStringConvertible, Sendable {
  /// What kind of file it was meant to be ("program", "scenario").
  public var what: String
  public var path: String
  public var problem: String

  public var description: String { "cannot read \(what) \(path): \(problem)" }
}

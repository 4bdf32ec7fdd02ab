import Foundation

/// A file named by an operator (a program, a scenario, card profiles, a snapshot), read whole.
///
/// Everything a person can get wrong about a path is named in words: missing, a directory, not a
/// regular file, unreadable, or larger than the reader of that kind of file accepts.
public enum LocalFile {
  /// Reads the regular file at `path`; `what` names it in errors ("program", "scenario").
  public static func read(_ path: String, as what: String, limit: Int = 16 << 20) throws(LocalFileError) -> Data {
    func fail(_ problem: String) -> LocalFileError { LocalFileError(what: what, path: path, problem: problem) }
    let fd = SystemCall.retrying { open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK) }
    guard fd >= 0 else { throw fail(String(cString: strerror(errno))) }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else { throw fail(String(cString: strerror(errno))) }
    switch info.st_mode & S_IFMT {
    case S_IFREG: break
    case S_IFDIR: throw fail("it is a directory, not a file")
    default: throw fail("it is not a regular file")
    }
    guard info.st_size <= limit else { throw fail("it is \(info.st_size) bytes; at most \(limit) are accepted") }
    var data = Data(count: Int(info.st_size) + 1)
    var total = 0
    while total < data.count {
      let n = SystemCall.retrying { data.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + total, $0.count - total) } }
      guard n >= 0 else { throw fail(String(cString: strerror(errno))) }
      if n == 0 { break }
      total += n
      guard total <= limit else { throw fail("it is larger than \(limit) bytes") }
    }
    data.count = total
    return data
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

import Crypto
import Foundation
import HexCoding
import LedgerFormat
import LocalFiles
import LoyaltyCore

/// A consistent copy of HQ's ledger and its companions, taken while `hq serve` runs, and its
/// check. The copy is made under the writers' lock (no batch is half in it; downloads go on),
/// cut at the last sealed batch, verified and audited as HQ would load it, and described by a
/// manifest (`backup.json`) with every file's size and SHA-256.
public enum LedgerBackup {
  /// The companions kept next to the ledger (`LEDGER.answers`, …), by suffix.
  public static let companions = [".answers", ".refusals", ".nonces", ".notify-state.json"]
  static let manifestName = "backup.json"

  /// What a backup holds.
  public struct Manifest: Codable, Hashable, Sendable {
    public var format = "loyalty-backup/1"
    /// When it was taken (UTC).
    public var takenAt: String
    /// The ledger's file name in the backup (the original's base name).
    public var ledger: String
    /// Where the copy ends: after the last sealed batch.
    public var lastSeq: Int64
    public var lines: Int
    public var head: String
    public var files: [File]

    public struct File: Codable, Hashable, Sendable {
      public var name: String
      public var bytes: Int
      public var sha256: String
    }
  }

  /// Copies `ledger` and its companions into the new directory `directory` and verifies the copy.
  public static func take(_ ledger: LedgerFile, to directory: String, at time: UTCInstant) throws(LedgerError)
    -> Manifest
  {
    var info = stat()
    if stat(directory, &info) == 0 {
      let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? ["?"]
      guard info.st_mode & S_IFMT == S_IFDIR, names.isEmpty else {
        throw LedgerError(line: 0, "\(directory) already exists and is not an empty directory: name a new one")
      }
    } else if mkdir(directory, 0o700) != 0 {
      throw LedgerError(line: 0, "cannot create \(directory): \(String(cString: strerror(errno)))")
    }
    let name = (ledger.path as NSString).lastPathComponent
    var files: [Manifest.File] = []
    do {
      try ledger.withExclusiveLock { locked in
        let size = try locked.size()
        files.append(try copy(from: ledger.path, bytes: size, to: directory + "/" + name, mode: 0o644))
        for suffix in companions where FileManager.default.fileExists(atPath: ledger.path + suffix) {
          // Whole lines only: a companion being written has its last line complete or absent.
          files.append(
            try copy(from: ledger.path + suffix, bytes: nil, to: directory + "/" + name + suffix, mode: 0o600))
        }
      }
    } catch let error as LedgerError {
      throw error
    } catch {
      throw LedgerError(line: 0, "\(error)")
    }
    // Cut at the last sealed batch (a torn tail a killed writer left is not part of the backup).
    let copyPath = directory + "/" + name
    var tail = LedgerVerifier.Tail.clean
    let state = try LedgerVerifier.readVerified(path: copyPath, tail: &tail, each: { _ in })
    if case .torn = tail {
      guard truncate(copyPath, off_t(state.offset)) == 0 else {
        throw LedgerError(line: 0, "cannot cut \(copyPath): \(String(cString: strerror(errno)))")
      }
      files[0] = try describe(copyPath, name: name)
    }
    let manifest = Manifest(
      takenAt: time.description, ledger: name, lastSeq: state.lastSeq, lines: state.lines, head: state.head,
      files: files)
    try write(manifest, to: directory + "/" + manifestName)
    _ = try verify(directory)
    return manifest
  }

  /// Checks a backup: every file of its manifest there with its size and SHA-256, and the ledger
  /// verified and audited, ending where the manifest says. Returns the manifest and the ledger's
  /// verified state.
  public static func verify(_ directory: String) throws(LedgerError) -> (Manifest, LedgerVerifier.State) {
    let manifestPath = directory + "/" + manifestName
    guard let data = FileManager.default.contents(atPath: manifestPath) else {
      throw LedgerError(line: 0, "\(manifestPath) is missing: \(directory) is not a backup made by `ledger backup`")
    }
    let manifest: Manifest
    do { manifest = try JSONDecoder().decode(Manifest.self, from: data) } catch {
      throw LedgerError(line: 0, "\(manifestPath) is not a backup manifest (\(error.localizedDescription))")
    }
    guard manifest.format == "loyalty-backup/1", !manifest.ledger.contains("/") else {
      throw LedgerError(line: 0, "\(manifestPath) is not a loyalty-backup/1 manifest")
    }
    for file in manifest.files {
      guard !file.name.contains("/"), file.name.hasPrefix(manifest.ledger) else {
        throw LedgerError(line: 0, "\(manifestPath) names \(file.name), which is not the ledger or a companion")
      }
      let found = try describe(directory + "/" + file.name, name: file.name)
      guard found == file else {
        throw LedgerError(
          line: 0,
          "\(directory)/\(file.name) is \(found.bytes) bytes (SHA-256 \(found.sha256.prefix(12))…), not the "
            + "\(file.bytes) bytes (\(file.sha256.prefix(12))…) the backup recorded: this backup is damaged")
      }
    }
    let path = directory + "/" + manifest.ledger
    var fold = LedgerFold()
    let state = try LedgerVerifier.readVerified(
      path: path, each: { fold.take($0) { _ in } }, excluded: { fold.exclude($0) })
    guard state.lastSeq == manifest.lastSeq, state.head == manifest.head else {
      throw LedgerError(
        line: 0, "\(path) ends at seq \(state.lastSeq), not at the seq \(manifest.lastSeq) its manifest records")
    }
    return (manifest, state)
  }

  /// Copies `bytes` of `source` (all of it up to its last newline when nil) to the new file
  /// `target` in 1 MiB parts, fsynced, and describes the copy.
  static func copy(from source: String, bytes: Int?, to target: String, mode: mode_t) throws(LedgerError)
    -> Manifest.File
  {
    let input = open(source, O_RDONLY | O_CLOEXEC)
    guard input >= 0 else { throw LedgerError(line: 0, "cannot read \(source): \(String(cString: strerror(errno)))") }
    defer { close(input) }
    var count = bytes ?? Int(lseek(input, 0, SEEK_END))
    if bytes == nil {
      // A companion: up to its last newline (a line being appended is left out).
      while count > 0 {
        var byte: UInt8 = 0
        guard pread(input, &byte, 1, off_t(count - 1)) == 1, byte != 0x0A else { break }
        count -= 1
      }
    }
    let output = open(target, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
    guard output >= 0 else {
      throw LedgerError(line: 0, "cannot create \(target): \(String(cString: strerror(errno)))")
    }
    defer { close(output) }
    var hash = SHA256()
    var done = 0
    var buffer = [UInt8](repeating: 0, count: 1 << 20)
    while done < count {
      let n = SystemCall.retrying {
        buffer.withUnsafeMutableBytes { pread(input, $0.baseAddress!, min($0.count, count - done), off_t(done)) }
      }
      guard n > 0 else { throw LedgerError(line: 0, "cannot read \(source): it ended early or failed") }
      let part = Array(buffer[..<n])
      hash.update(data: part)
      guard SystemCall.writeAll(output, part) else {
        throw LedgerError(line: 0, "cannot write \(target): \(String(cString: strerror(errno)))")
      }
      done += n
    }
    guard SystemCall.retrying({ fsync(output) }) == 0 else {
      throw LedgerError(line: 0, "cannot write \(target): \(String(cString: strerror(errno)))")
    }
    return Manifest.File(
      name: (target as NSString).lastPathComponent, bytes: count, sha256: Hex.lowercase(digest: hash.finalize()))
  }

  /// A file's size and SHA-256, read in 1 MiB parts.
  static func describe(_ path: String, name: String) throws(LedgerError) -> Manifest.File {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw LedgerError(line: 0, "\(path) is missing or unreadable") }
    defer { close(fd) }
    var hash = SHA256()
    var count = 0
    var buffer = [UInt8](repeating: 0, count: 1 << 20)
    while true {
      let n = SystemCall.retrying { buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) } }
      guard n >= 0 else { throw LedgerError(line: 0, "cannot read \(path): \(String(cString: strerror(errno)))") }
      if n == 0 { break }
      hash.update(data: buffer[..<n])
      count += n
    }
    return Manifest.File(name: name, bytes: count, sha256: Hex.lowercase(digest: hash.finalize()))
  }

  static func write(_ manifest: Manifest, to path: String) throws(LedgerError) {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    guard let data = try? encoder.encode(manifest) else { throw LedgerError(line: 0, "cannot encode the manifest") }
    let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
    guard fd >= 0 else { throw LedgerError(line: 0, "cannot write \(path): \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    guard SystemCall.writeAll(fd, Array(data) + [0x0A]), fsync(fd) == 0 else {
      throw LedgerError(line: 0, "cannot write \(path): \(String(cString: strerror(errno)))")
    }
  }
}

import Crypto
import Foundation
import HexCoding
import LedgerFormat
import LocalFiles
import LoyaltyCore
import SystemPackage

/// A consistent copy of HQ's ledger and its companions, taken while `hq serve` runs, and its
/// check. The copy is made under the writers' lock (no batch is half in it; downloads go on),
/// cut at the last sealed batch, verified and audited as HQ would load it, and described by a
/// manifest (`backup.json`) with every file's size and SHA-256.
public enum LedgerBackup {
  /// The companions kept next to the ledger (`LEDGER.answers`, …), by suffix.
  public static let companions = [".answers", ".refusals", ".nonces", ".notify-state.json", ".customer-key"]
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
    } else {
      do { try SystemCall.makeDirectory(directory, permissions: .ownerReadWriteExecute) } catch {
        throw LedgerError(line: 0, "cannot create \(directory): \(error)")
      }
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
      do {
        let fd = try FileDescriptor.open(atPath: copyPath, .writeOnly, options: [.noFollow, .closeOnExec])
        try fd.closeAfter(
          { () throws(Errno) in
            try fd.truncate(to: state.offset)
            try fd.sync()
          }, closeFailed: { $0 })
      } catch { throw LedgerError(line: 0, "cannot cut \(copyPath): \(error)") }
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
    func unreadable(_ error: Errno) -> LedgerError { LedgerError(line: 0, "cannot read \(source): \(error)") }
    func unwritable(_ error: Errno) -> LedgerError { LedgerError(line: 0, "cannot write \(target): \(error)") }
    let input: FileDescriptor
    do { input = try .open(atPath: source, .readOnly, options: .closeOnExec) } catch { throw unreadable(error) }
    return try input.closeAfter(
      { () throws(LedgerError) -> Manifest.File in
        var count: Int
        if let bytes {
          count = bytes
        } else {
          do throws(Errno) { count = try input.size() } catch { throw unreadable(error) }
          // A companion: up to its last newline (a line being appended is left out).
          while count > 0 {
            let last: [UInt8]
            do throws(Errno) { last = try input.read(upTo: 1, at: count - 1) } catch { throw unreadable(error) }
            guard let byte = last.first, byte != 0x0A else { break }
            count -= 1
          }
        }
        let output: FileDescriptor
        do {
          output = try .open(
            atPath: target, .writeOnly, options: [.create, .exclusiveCreate, .noFollow, .closeOnExec],
            permissions: FilePermissions(rawValue: mode))
        } catch { throw LedgerError(line: 0, "cannot create \(target): \(error)") }
        return try output.closeAfter(
          { () throws(LedgerError) -> Manifest.File in
            var hash = SHA256()
            var done = 0
            var buffer = [UInt8](repeating: 0, count: 1 << 20)
            while done < count {
              let n: Int
              do throws(Errno) {
                n = try input.read(into: &buffer, count: min(buffer.count, count - done), at: done)
              } catch {
                throw unreadable(error)
              }
              guard n > 0 else { throw LedgerError(line: 0, "cannot read \(source): it ended early or failed") }
              let part = buffer[..<n]
              hash.update(data: part)
              do throws(Errno) { try output.write(all: part) } catch { throw unwritable(error) }
              done += n
            }
            do throws(Errno) { try output.sync() } catch { throw unwritable(error) }
            return Manifest.File(
              name: (target as NSString).lastPathComponent, bytes: count, sha256: Hex.lowercase(digest: hash.finalize()))
          }, closeFailed: unwritable)
      }, closeFailed: unreadable)
  }

  /// A file's size and SHA-256, read in 1 MiB parts.
  static func describe(_ path: String, name: String) throws(LedgerError) -> Manifest.File {
    func unreadable(_ error: Errno) -> LedgerError { LedgerError(line: 0, "cannot read \(path): \(error)") }
    let fd: FileDescriptor
    do { fd = try .open(atPath: path, .readOnly, options: .closeOnExec) } catch {
      throw LedgerError(line: 0, "\(path) is missing or unreadable")
    }
    return try fd.closeAfter(
      { () throws(LedgerError) -> Manifest.File in
        var hash = SHA256()
        var count = 0
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
          let n: Int
          do throws(Errno) { n = try fd.read(into: &buffer, count: buffer.count, at: count) } catch {
            throw unreadable(error)
          }
          if n == 0 { break }
          hash.update(data: buffer[..<n])
          count += n
        }
        return Manifest.File(name: name, bytes: count, sha256: Hex.lowercase(digest: hash.finalize()))
      }, closeFailed: unreadable)
  }

  static func write(_ manifest: Manifest, to path: String) throws(LedgerError) {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    guard let data = try? encoder.encode(manifest) else { throw LedgerError(line: 0, "cannot encode the manifest") }
    func unwritable(_ error: Errno) -> LedgerError { LedgerError(line: 0, "cannot write \(path): \(error)") }
    let fd: FileDescriptor
    do {
      fd = try .open(
        atPath: path, .writeOnly, options: [.create, .exclusiveCreate, .noFollow, .closeOnExec],
        permissions: .ownerReadWrite)
    } catch { throw unwritable(error) }
    try fd.closeAfter(
      { () throws(LedgerError) in
        do throws(Errno) {
          try fd.write(all: Array(data) + [0x0A])
          try fd.sync()
        } catch { throw unwritable(error) }
      }, closeFailed: unwritable)
  }
}

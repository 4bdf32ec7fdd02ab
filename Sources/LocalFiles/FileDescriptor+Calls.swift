import Foundation
import SystemPackage

/// What this project adds to swift-system's `FileDescriptor`: every call on a file's descriptor
/// goes through swift-system or through here, again after EINTR, and reports its failure as an
/// `Errno` (its description is `strerror`'s text). Nothing here ignores a result; the one failure
/// not reported is a `close` on the way out of another failure, which is the one to report.
extension FileDescriptor {
  /// Opens `path` (again after EINTR); `permissions` when `options` creates the file.
  public static func open(
    atPath path: String, _ mode: AccessMode, options: OpenOptions = [], permissions: FilePermissions? = nil
  ) throws(Errno) -> FileDescriptor {
    do {
      return try open(FilePath(path), mode, options: options, permissions: permissions, retryOnInterrupt: true)
    } catch { throw Errno.of(error) }
  }

  /// Runs `body`, then closes the descriptor. When `body` throws, the descriptor is closed and its
  /// error thrown; when `close` fails after `body` returned, `closeFailed` says what that means
  /// to the caller (a write the kernel could not finish, for one).
  public func closeAfter<R, E: Error>(_ body: () throws(E) -> R, closeFailed: (Errno) -> E) throws(E) -> R {
    let result: R
    do { result = try body() } catch {
      closeAfterFailure()
      throw error
    }
    do { try close() } catch { throw closeFailed(Errno.of(error)) }
    return result
  }

  /// Runs `body` and returns its result with the descriptor still open; closes it when `body`
  /// throws (a descriptor being set up, refused by a check).
  public func closeIfThrows<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
    do { return try body() } catch {
      closeAfterFailure()
      throw error
    }
  }

  /// Closes the descriptor on the way out of a failure: that failure is the one to report, and
  /// the descriptor is freed whether or not `close` reports an error of its own (as swift-system's
  /// `closeAfter` does).
  public func closeAfterFailure() { _ = try? close() }

  /// Writes all of `bytes` at the current offset (again after a short write or EINTR).
  public func write(all bytes: some Sequence<UInt8>) throws(Errno) {
    do { _ = try writeAll(bytes) } catch { throw Errno.of(error) }
  }

  /// Flushes the file's data and metadata to the device (`fsync`), again after EINTR.
  public func sync() throws(Errno) {
    while fsync(rawValue) != 0 {
      guard errno == EINTR else { throw Errno(rawValue: errno) }
    }
  }

  /// Cuts (or extends) the file to `length` bytes (`ftruncate`), again after EINTR.
  public func truncate(to length: Int) throws(Errno) {
    do { try resize(to: Int64(length), retryOnInterrupt: true) } catch { throw Errno.of(error) }
  }

  /// Changes the file's permissions (`fchmod`), again after EINTR.
  public func setPermissions(_ permissions: FilePermissions) throws(Errno) {
    while fchmod(rawValue, permissions.rawValue) != 0 {
      guard errno == EINTR else { throw Errno(rawValue: errno) }
    }
  }

  /// Takes the file's `flock` lock, exclusive or shared, waiting while another holds it (again
  /// after EINTR). Closing the descriptor releases it.
  public func lock(exclusive: Bool = true) throws(Errno) {
    while flock(rawValue, exclusive ? LOCK_EX : LOCK_SH) != 0 {
      guard errno == EINTR else { throw Errno(rawValue: errno) }
    }
  }

  /// Takes the file's `flock` lock without waiting: false when another descriptor holds it.
  public func tryLock(exclusive: Bool = true) throws(Errno) -> Bool {
    while flock(rawValue, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) != 0 {
      if errno == EINTR { continue }
      if errno == EWOULDBLOCK { return false }
      throw Errno(rawValue: errno)
    }
    return true
  }

  /// The file's size in bytes (a seek to its end: the next write at the current offset goes
  /// there).
  public func size() throws(Errno) -> Int {
    do { return Int(try seek(offset: 0, from: .end)) } catch { throw Errno.of(error) }
  }

  /// Fills `buffer` from the file at `offset` (`pread`, again after a short read or EINTR);
  /// returns the bytes read, fewer than the buffer holds only at the end of the file.
  public func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws(Errno) -> Int {
    var done = 0
    while done < buffer.count {
      let n: Int
      do {
        n = try read(
          fromAbsoluteOffset: Int64(offset + done), into: UnsafeMutableRawBufferPointer(rebasing: buffer[done...]),
          retryOnInterrupt: true)
      } catch { throw Errno.of(error) }
      if n == 0 { break }
      done += n
    }
    return done
  }

  /// Fills `bytes[0..<count]` from the file at `offset` (`count` at most `bytes.count`); returns
  /// the bytes read, fewer than `count` only at the end of the file. `bytes` can be read into
  /// again and again (a chunked read allocates one buffer).
  public func read(into bytes: inout [UInt8], count: Int, at offset: Int) throws(Errno) -> Int {
    precondition(count <= bytes.count, "reading \(count) bytes into a buffer of \(bytes.count)")
    let n: Result<Int, Errno> = bytes.withUnsafeMutableBytes { buffer in
      let part = UnsafeMutableRawBufferPointer(rebasing: buffer[..<count])
      return Result { () throws(Errno) in try read(into: part, at: offset) }
    }
    return try n.get()
  }

  /// Up to `count` bytes of the file at `offset` (fewer only at the end of the file).
  public func read(upTo count: Int, at offset: Int) throws(Errno) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: count)
    let n = try read(into: &bytes, count: count, at: offset)
    bytes.removeLast(count - n)
    return bytes
  }
}

extension Errno {
  /// The `Errno` a swift-system call threw (it throws nothing else; EIO stands in for the
  /// impossible other case).
  static func of(_ error: any Error) -> Errno { error as? Errno ?? .ioError }
}

import Foundation

/// The one way this project makes a blocking system call: again while a signal interrupts it.
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

  /// Writes all of `bytes` to `fd` (again after a short write or EINTR); false on an error, with
  /// `errno` as the call left it.
  public static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
    var sent = 0
    while sent < bytes.count {
      let n = retrying { bytes.withUnsafeBytes { write(fd, $0.baseAddress! + sent, bytes.count - sent) } }
      guard n > 0 else { return false }
      sent += n
    }
    return true
  }
}

import Foundation
import TestSupport
import Testing

/// A pcscd started by the test that needs it, and stopped by it: `pcscd --foreground` as a child
/// process, with vpcd's two virtual readers.
final class PCSCDaemon: @unchecked Sendable {
  static let binary = ["/usr/sbin/pcscd", "/usr/bin/pcscd"].first { FileManager.default.isExecutableFile(atPath: $0) }
  static let runDirectory = "/run/pcscd"

  private(set) var pid: pid_t
  let logPath: String

  /// Whether these tests can run here at all (pcscd and vpcd installed).
  static var isAvailable: Bool {
    binary != nil && FileManager.default.fileExists(atPath: "/etc/reader.conf.d/vpcd")
  }

  /// Starts pcscd and waits (bounded) until vpcd's ports accept.
  static func start() async throws -> PCSCDaemon {
    try refuseForeignDaemon()
    let log = FileManager.default.temporaryDirectory.appendingPathComponent("pcscd-test-\(getpid()).log").path
    let daemon = PCSCDaemon(pid: try launch(log: log), log: log)
    try await daemon.waitUntilReady()
    return daemon
  }

  private init(pid: pid_t, log: String) {
    self.pid = pid
    self.logPath = log
  }

  deinit { stop() }

  /// Started with an empty signal mask (see `spawnWithDefaultSignals`), so SIGTERM stops it.
  private static func launch(log: String) throws -> pid_t {
    removeStaleFiles()
    return try spawnWithDefaultSignals(binary!, ["--foreground"]) { actions in
      posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0o644)
      posix_spawn_file_actions_adddup2(&actions, 1, 2)
    }
  }

  /// Kills pcscd hard (as a crash would) and reaps it.
  func kill() {
    Foundation.kill(pid, SIGKILL)
    reap()
  }

  /// Starts pcscd again after `kill()`.
  func restart() async throws {
    pid = try Self.launch(log: logPath)
    try await waitUntilReady()
  }

  /// Stops pcscd: SIGTERM, then SIGKILL if it has not exited within 5 s.
  func stop() {
    guard pid > 0 else { return }
    Foundation.kill(pid, SIGTERM)
    for _ in 0..<500 {
      var status: Int32 = 0
      if waitpid(pid, &status, WNOHANG) == pid {
        pid = 0
        return
      }
      usleep(10_000)
    }
    kill()
  }

  private func reap() {
    var status: Int32 = 0
    _ = waitpid(pid, &status, 0)
    pid = 0
  }

  private var hasExited: Bool {
    var status: Int32 = 0
    return waitpid(pid, &status, WNOHANG) == pid
  }

  /// Readiness: both vpcd ports accept a connection (pcscd opens them when it loads vpcd).
  /// A probe of an external process, bounded to 30 s (a loaded machine has taken over 10 s);
  /// our own code is never waited on this way.
  private func waitUntilReady() async throws {
    let deadline = ContinuousClock.now + .seconds(30)
    while ContinuousClock.now < deadline {
      if hasExited {
        pid = 0
        throw DaemonError("pcscd exited at start: \((try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "")")
      }
      if Self.portAccepts(35963) && Self.portAccepts(35964) { return }
      try await Task.sleep(for: .milliseconds(20))
    }
    throw DaemonError("pcscd did not open vpcd's ports within 30 s")
  }

  /// Probes with a real TCP connect; vpcd treats a connect-and-close as a tap that ends at once.
  static func portAccepts(_ port: UInt16) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    return withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
      }
    }
  }

  /// A pcscd the tests did not start would fight ours for the socket and vpcd's ports.
  static func refuseForeignDaemon() throws {
    let pids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    for entry in pids {
      guard let pid = Int32(entry), isAlive(pid),
        let comm = try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8),
        comm.trimmingCharacters(in: .whitespacesAndNewlines) == "pcscd"
      else { continue }
      throw DaemonError("a pcscd not started by the tests is running (pid \(pid)); stop it first (pkill -x pcscd)")
    }
  }

  /// Removes the socket and pid file a killed pcscd leaves behind, so the next one starts.
  static func removeStaleFiles() {
    try? FileManager.default.removeItem(atPath: runDirectory + "/pcscd.pid")
    try? FileManager.default.removeItem(atPath: runDirectory + "/pcscd.comm")
  }

  /// Alive and not a zombie.
  static func isAlive(_ pid: Int32) -> Bool {
    guard Foundation.kill(pid, 0) == 0 else { return false }
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
      let close = stat.lastIndex(of: ")")
    else { return true }
    return !stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z")
  }
}

struct DaemonError: Error, CustomStringConvertible {
  var description: String
  init(_ d: String) { description = d }
}

/// Resident set size and open descriptors of this process, for leak checks.
enum ProcessStats {
  static func residentBytes() -> Int {
    guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = statm.split(separator: " ")
    return (Int(fields[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE)))
  }

  static func threads() -> Int {
    (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").count) ?? 0
  }

  static func openDescriptors() -> Int {
    (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 0
  }
}

import Foundation
import Synchronization

/// A child process spawned with an empty signal mask and default signal dispositions (a child
/// spawned from a libdispatch thread would otherwise inherit blocked signals), its stdout a pipe
/// read line by line.
public final class ChildProcess: @unchecked Sendable {
  public let pid: pid_t
  /// stdout, one element per line.
  public let lines: AsyncStream<String>
  /// The write end of the child's stdin, with `stdinPipe`: open until `closeInput()`.
  private let input: Mutex<Int32?>
  private let reaped = Mutex(false)

  /// - Parameter stdinPipe: the child's stdin a pipe this process holds open (`write(_:)`,
  ///   `closeInput()`) instead of this process's own stdin.
  public init(_ path: String, _ arguments: [String], stdinPipe: Bool = false) throws {
    var fds: [Int32] = [0, 0]
    guard pipe(&fds) == 0 else { throw ChildProcessError("pipe: \(String(cString: strerror(errno)))") }
    var inFds: [Int32] = [-1, -1]
    if stdinPipe {
      guard pipe(&inFds) == 0 else {
        close(fds[0])
        close(fds[1])
        throw ChildProcessError("pipe: \(String(cString: strerror(errno)))")
      }
      // Both ends close on exec: only the child's dup (its stdin) stays open in it, so no other
      // child spawned later holds the write end (the child would never read the end).
      for fd in inFds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
    }
    let pid: pid_t
    do {
      pid = try spawnWithDefaultSignals(path, arguments) { actions in
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_addclose(&actions, fds[0])
        if stdinPipe {
          posix_spawn_file_actions_adddup2(&actions, inFds[0], 0)
        }
      }
    } catch {
      for fd in fds + inFds where fd >= 0 { close(fd) }
      throw error
    }
    close(fds[1])
    if stdinPipe { close(inFds[0]) }
    input = Mutex(stdinPipe ? inFds[1] : nil)
    self.pid = pid
    let readEnd = fds[0]
    let (stream, continuation) = AsyncStream.makeStream(of: String.self)
    lines = stream
    let reader = Thread {
      var pending = [UInt8]()
      var buffer = [UInt8](repeating: 0, count: 4096)
      while true {
        let n = read(readEnd, &buffer, buffer.count)
        if n <= 0 { break }
        pending += buffer[0..<n]
        while let newline = pending.firstIndex(of: 0x0A) {
          continuation.yield(String(decoding: pending[..<newline], as: UTF8.self))
          pending.removeFirst(newline + 1)
        }
      }
      close(readEnd)
      continuation.finish()
    }
    reader.start()
  }

  /// Writes `text` to the child's stdin (`stdinPipe` only).
  public func write(_ text: String) {
    input.withLock { fd in
      guard let fd else { return }
      let bytes = Array(text.utf8)
      var offset = 0
      while offset < bytes.count {
        let n = bytes[offset...].withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { return }
        offset += n
      }
    }
  }

  /// Closes the child's stdin: it reads the end of its input.
  public func closeInput() {
    input.withLock { fd in
      if let open = fd { close(open) }
      fd = nil
    }
  }

  deinit { closeInput() }

  /// A watchdog: SIGKILL the child after `seconds` unless it was stopped first, so a test that
  /// waits on its output can never hang.
  public func killAfter(seconds: Int) {
    DispatchQueue.global().asyncAfter(deadline: .now() + .seconds(seconds)) { [self] in
      reaped.withLock { done in
        if !done { kill(pid, SIGKILL) }
      }
    }
  }

  /// Sends `signal` and waits (bounded) for the exit status; nil if it did not exit in time.
  /// Signal 0 sends nothing: it only waits for the child to exit on its own. The result is the
  /// exit code for a normal exit, 128 + the signal for a killed child.
  public func stop(with signal: Int32, within seconds: Int = 5) -> Int32? {
    defer { reaped.withLock { $0 = true } }
    if signal != 0 { kill(pid, signal) }
    for _ in 0..<(seconds * 100) {
      var status: Int32 = 0
      if waitpid(pid, &status, WNOHANG) == pid {
        let termSignal = status & 0x7F
        return termSignal == 0 ? (status >> 8) & 0xFF : 128 + termSignal
      }
      usleep(10_000)
    }
    kill(pid, SIGKILL)
    var status: Int32 = 0
    waitpid(pid, &status, 0)
    return nil
  }
}

/// A child process that could not be started.
public struct ChildProcessError: Error, CustomStringConvertible {
  public var description: String
  public init(_ d: String) { description = d }
}

/// The directory of the test binary, where SwiftPM also puts `loyalty-terminal` and `loyalty-hq`
/// (the test targets depend on both executables, so `swift build --build-tests` builds them).
public enum BuiltProducts {
  /// The counter's binary: `run`, the points commands, `sync`, the simulator.
  public static var loyaltyTerminal: String { path("loyalty-terminal") }

  /// HQ's binary: `ledger …` and `serve`.
  public static var loyaltyHQ: String { path("loyalty-hq") }

  /// The developers' tools (benchmarks, campaigns, the crash tests' `earn-loop`).
  public static var devtools: String { path("loyalty-devtools") }

  static func path(_ name: String) -> String {
    URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(name).path
  }
}

/// posix_spawn with an empty signal mask and default signal dispositions. A child spawned from a
/// libdispatch thread would otherwise inherit its blocked signals (pcscd then ignores SIGTERM).
public func spawnWithDefaultSignals(
  _ path: String, _ arguments: [String], fileActions: (inout posix_spawn_file_actions_t) -> Void
) throws -> pid_t {
  var actions = posix_spawn_file_actions_t()
  posix_spawn_file_actions_init(&actions)
  defer { posix_spawn_file_actions_destroy(&actions) }
  fileActions(&actions)
  var attributes = posix_spawnattr_t()
  posix_spawnattr_init(&attributes)
  defer { posix_spawnattr_destroy(&attributes) }
  var empty = sigset_t()
  sigemptyset(&empty)
  var all = sigset_t()
  sigfillset(&all)
  posix_spawnattr_setsigmask(&attributes, &empty)
  posix_spawnattr_setsigdefault(&attributes, &all)
  posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
  let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
  defer { argv.forEach { free($0) } }
  var pid: pid_t = 0
  let rc = posix_spawn(&pid, path, &actions, &attributes, argv, environ)
  guard rc == 0 else { throw ChildProcessError("posix_spawn \(path): \(String(cString: strerror(rc)))") }
  return pid
}

/// Runs a program to completion with `input` on its stdin, its stdout and stderr collected
/// through files — posix_spawn and waitpid only. (Foundation's `Process` leaves a run-loop thread
/// behind, and with it the test process sometimes never exits after its last test.)
public func runToCompletion(_ path: String, _ arguments: [String], input: String = "") throws -> (
  status: Int32, output: String, errors: String
) {
  let dir = FileManager.default.temporaryDirectory.appendingPathComponent("child-\(UUID().uuidString)")
  try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
  defer { try? FileManager.default.removeItem(at: dir) }
  let inPath = dir.appendingPathComponent("in").path
  let outPath = dir.appendingPathComponent("out").path
  let errPath = dir.appendingPathComponent("err").path
  try Data(input.utf8).write(to: URL(fileURLWithPath: inPath))
  let pid = try spawnWithDefaultSignals(path, arguments) { actions in
    posix_spawn_file_actions_addopen(&actions, 0, inPath, O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
  }
  var status: Int32 = 0
  while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
  let code = status & 0x7F == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
  func text(_ p: String) -> String {
    String(decoding: FileManager.default.contents(atPath: p) ?? Data(), as: UTF8.self)
  }
  return (code, text(outPath), text(errPath))
}

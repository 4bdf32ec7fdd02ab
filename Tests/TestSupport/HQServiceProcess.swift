import Foundation
import LoyaltyCore

/// `loyalty-hq serve` as a child process on a free loopback port, for tests.
public final class HQServiceProcess: @unchecked Sendable {
  public let child: ChildProcess
  /// `http://127.0.0.1:PORT`.
  public let url: String

  /// Starts the service and waits (bounded) for its "listening on" line. `launcher`, when
  /// given, runs it (e.g. `["/usr/bin/prlimit", "--nofile=128"]`: it execs the service, so the
  /// child's pid is the service's).
  public init(ledger: String, hqKey: String, extra: [String] = [], launcher: [String] = []) async throws {
    let arguments =
      ["serve", "--ledger", ledger, "--hq-key", hqKey, "--listen", "127.0.0.1:0", "--log-level", "warning"]
      + extra
    child = try ChildProcess(
      launcher.first ?? BuiltProducts.loyaltyHQ,
      launcher.isEmpty ? arguments : Array(launcher.dropFirst()) + [BuiltProducts.loyaltyHQ] + arguments)
    child.killAfter(seconds: 600)
    guard let found = await child.listeningURL() else {
      _ = child.stop(with: SIGKILL)
      throw ChildProcessError("loyalty-hq serve did not start")
    }
    url = found
  }

  /// SIGTERM (graceful) or SIGKILL; the exit status.
  @discardableResult
  public func stop(_ signal: Int32 = SIGTERM) -> Int32? { child.stop(with: signal, within: 10) }
}

extension ChildProcess {
  /// What follows "listening on " in the first such line the child prints (a server on a free
  /// port says where), or nil when its output ends without one.
  public func listeningURL() async -> String? {
    for await line in lines where line.hasPrefix("listening on ") {
      return String(line.dropFirst("listening on ".count))
    }
    return nil
  }
}

/// Runs several programs at once (each its own process, started before any is waited for) and
/// returns each one's status, stdout and stderr, in order.
public func runConcurrently(_ commands: [(path: String, arguments: [String])]) throws -> [(
  status: Int32, output: String, errors: String
)] {
  let dir = FileManager.default.temporaryDirectory.appendingPathComponent("children-\(UUID().uuidString)")
  try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
  defer { try? FileManager.default.removeItem(at: dir) }
  var pids: [pid_t] = []
  for (i, command) in commands.enumerated() {
    let out = dir.appendingPathComponent("\(i).out").path
    let err = dir.appendingPathComponent("\(i).err").path
    pids.append(
      try spawnWithDefaultSignals(command.path, command.arguments) { actions in
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, err, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
      })
  }
  return pids.enumerated().map { i, pid in
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    let code = status & 0x7F == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
    func text(_ name: String) -> String {
      String(
        decoding: FileManager.default.contents(atPath: dir.appendingPathComponent(name).path) ?? Data(), as: UTF8.self)
    }
    return (code, text("\(i).out"), text("\(i).err"))
  }
}

import Foundation
import Subprocess
import SystemPackage

/// The developer tools' one way to run a child process, on swift-subprocess: baselines
/// (sqlite3, hledger, the C and Python clients), the benchmark workers, the campaigns'
/// `loyalty-terminal` and `earn-loop` children.
enum Child {
  /// How a child ended and what it printed.
  struct Outcome: Sendable {
    /// The exit code, or 128 + the signal that ended it.
    var status: Int32
    var output: String
    var errors: String
    var elapsed: Duration

    var lines: [String] { output.split(separator: "\n").map(String.init) }
  }

  /// Runs `path` with `arguments` to its end (or SIGKILLs it after `killAfter`), collecting its
  /// standard output and error.
  static func run(_ path: String, _ arguments: [String], killAfter delay: Duration? = nil) async throws -> Outcome {
    let clock = ContinuousClock()
    let start = clock.now
    let result = try await Subprocess.run(
      .path(FilePath(path)), arguments: Arguments(arguments), input: .none, output: .string(limit: 256 << 20),
      error: .string(limit: 16 << 20)
    ) { execution in
      guard let delay else { return }
      try? await Task.sleep(for: delay)
      try? execution.send(signal: .kill)
    }
    let status: Int32
    switch result.terminationStatus {
    case .exited(let code): status = code
    case .signaled(let signal): status = 128 + signal
    }
    return Outcome(
      status: status, output: result.standardOutput, errors: result.standardError,
      elapsed: clock.now - start)
  }

  /// Runs a shell command line (`/bin/sh -c`).
  static func shell(_ command: String) async throws -> Outcome { try await run("/bin/sh", ["-c", command]) }

  /// Runs a child and requires it to succeed; what it printed.
  static func succeed(_ path: String, _ arguments: [String], what: String) async throws -> Outcome {
    let outcome = try await run(path, arguments)
    guard outcome.status == 0 else {
      throw ChildFailure(description: "\(what) exited \(outcome.status): \(outcome.errors.prefix(400))")
    }
    return outcome
  }
}

/// A child process that failed.
struct ChildFailure: Error, CustomStringConvertible {
  var description: String
}

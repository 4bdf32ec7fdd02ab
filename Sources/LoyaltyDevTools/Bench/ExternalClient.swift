import Foundation
import LoyaltyTerminalCLI

/// A baseline client run as a child process: it prints one latency in ns per line.
struct ExternalClient {
  var name: String
  var executable: URL
  var arguments: [String]

  struct Failure: Error, CustomStringConvertible {
    var description: String
  }

  /// Runs the client and parses its latencies and the peak RSS it reports (KiB).
  func run() async throws -> (latencies: [Int64], peakKiB: Int) {
    let outcome = try await Child.succeed(executable.path, arguments, what: name)
    let values = outcome.lines.compactMap { Int64($0) }
    guard !values.isEmpty else { throw Failure(description: "\(name) printed no latencies") }
    let peak =
      outcome.errors.split(separator: "\n")
      .first { $0.hasPrefix("maxrss_kib ") }.flatMap { Int($0.dropFirst("maxrss_kib ".count)) } ?? 0
    return (values, peak)
  }

  /// Compiles the C baseline with the system compiler against libpcsclite.
  static func compileC(source: URL, into directory: URL) async throws -> URL {
    let binary = directory.appendingPathComponent("pcsc_getuid")
    let outcome = try await Child.shell(
      "cc -O2 -o '\(binary.path)' '\(source.path)' $(pkg-config --cflags --libs libpcsclite)")
    guard outcome.status == 0 else {
      throw Failure(description: "could not compile \(source.path) (needs gcc and libpcsclite-dev): \(outcome.errors)")
    }
    return binary
  }
}

extension ExternalClient {
  /// Runs one of this executable's hidden benchmark workers and returns what it printed.
  static func runWorker(_ arguments: [String]) async throws -> Data {
    let outcome = try await Child.succeed(
      ProductBinary.devtools.path, arguments, what: "benchmark worker \(arguments.prefix(1).joined())")
    return Data(outcome.output.utf8)
  }
}

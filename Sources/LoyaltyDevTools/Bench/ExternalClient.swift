import LoyaltyTerminalCLI
import Foundation

/// A baseline client run as a child process: it prints one latency in ns per line.
struct ExternalClient {
  var name: String
  var executable: URL
  var arguments: [String]

  struct Failure: Error, CustomStringConvertible {
    var description: String
  }

  /// Runs the client and parses its latencies and the peak RSS it reports (KiB).
  func run() throws -> (latencies: [Int64], peakKiB: Int) {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    let errors = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
      throw Failure(
        description: "\(name) exited \(process.terminationStatus): \(String(decoding: errors, as: UTF8.self))")
    }
    let values = String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap { Int64($0) }
    guard !values.isEmpty else { throw Failure(description: "\(name) printed no latencies") }
    let peak =
      String(decoding: errors, as: UTF8.self).split(separator: "\n")
      .first { $0.hasPrefix("maxrss_kib ") }.flatMap { Int($0.dropFirst("maxrss_kib ".count)) } ?? 0
    return (values, peak)
  }

  /// Compiles the C baseline with the system compiler against libpcsclite.
  static func compileC(source: URL, into directory: URL) throws -> URL {
    let binary = directory.appendingPathComponent("pcsc_getuid")
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", "cc -O2 -o '\(binary.path)' '\(source.path)' $(pkg-config --cflags --libs libpcsclite)"]
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
      throw Failure(description: "could not compile \(source.path) (needs gcc and libpcsclite-dev)")
    }
    return binary
  }
}

extension ExternalClient {
  /// Runs one of this executable's hidden benchmark workers and returns what it printed.
  static func runWorker(_ arguments: [String]) throws -> Data {
    let worker = Process()
    worker.executableURL = ProductBinary.devtools
    worker.arguments = arguments
    let out = Pipe()
    worker.standardOutput = out
    try worker.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    worker.waitUntilExit()
    guard worker.terminationStatus == 0 else {
      throw Failure(
        description: "benchmark worker \(arguments.prefix(1).joined()) failed (status \(worker.terminationStatus))")
    }
    return data
  }
}

import Foundation
import LoyaltyTerminalCLI

/// Finds a file of the checkout (e.g. `hardware/bench/pcsc_getuid.c`) from the working directory
/// or the executable's location, whichever is inside the repository.
enum RepositoryFile {
  static func locate(_ relative: String) -> URL? {
    let starts = [
      URL(fileURLWithPath: FileManager.default.currentDirectoryPath),
      URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath().deletingLastPathComponent(),
    ]
    for start in starts {
      var dir = start.standardizedFileURL
      for _ in 0..<8 {
        let candidate = dir.appendingPathComponent(relative)
        if FileManager.default.fileExists(atPath: candidate.path) { return candidate }
        let parent = dir.deletingLastPathComponent()
        if parent.path == dir.path { break }
        dir = parent
      }
    }
    return nil
  }

  /// The example program's text (`sim/program.json`), as the benchmark workers load it.
  static func exampleProgram() throws -> String {
    try String(contentsOf: try locate("sim/program.json").orThrow("sim/program.json not found"), encoding: .utf8)
  }
}

/// Peak resident memory (VmHWM) of this process, in KiB.
func peakResidentKiB() -> Int { procStatusKiB("VmHWM") }

/// A memory figure from /proc/PID/status (VmHWM, VmRSS, …) of this process or of `pid`, KiB; 0 if
/// unreadable.
func procStatusKiB(_ field: String, pid: Int32? = nil) -> Int {
  let path = "/proc/\(pid.map(String.init) ?? "self")/status"
  guard let status = try? String(contentsOfFile: path, encoding: .utf8) else { return 0 }
  for line in status.split(separator: "\n") where line.hasPrefix(field + ":") {
    return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? 0
  }
  return 0
}

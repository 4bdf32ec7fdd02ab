import Foundation

/// Writes a line to stdout and flushes it, so a program reading a pipe sees each tap at once.
public func emit(_ line: String) {
  FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// Writes a line to stderr (status and refusals; stdout stays for results).
public func printError(_ message: String) {
  FileHandle.standardError.write(Data((message + "\n").utf8))
}

/// One JSON object on one line, keys sorted, slashes plain: what `--json` prints.
public enum JSONLine {
  public static func encode(_ object: [String: Any]) -> String {
    let data =
      (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
      ?? Data("{}".utf8)
    return String(decoding: data, as: UTF8.self)
  }
}

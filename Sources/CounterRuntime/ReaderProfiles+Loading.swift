import CardReader
import CounterFirmware
import Foundation
import HexCoding
import LocalFiles
import LoyaltyCore

/// Reader profiles from a file: found as card profiles are (`--reader-profiles FILE`, then
/// `$LOYALTY_READER_PROFILES`, then `/etc/loyalty-terminal/reader-profiles.json`, else the
/// built-in table), and parsed strictly: an unknown field, a command that is not hex, a profile
/// without `match` is refused, every problem named by its path.
extension ReaderProfiles {
  /// Problems found in a reader profiles file, all of them, in one line.
  public struct LoadError: Error, CustomStringConvertible, Sendable {
    /// The file the problems are in (nil when it could not be read: the problem names it).
    public var source: String?
    public var problems: [String]
    public var description: String {
      "invalid reader profiles: " + (source.map { "\($0): " } ?? "") + problems.joined(separator: "; ")
    }
  }

  /// The environment variable that names an operator's reader profiles file.
  public static let environmentVariable = "LOYALTY_READER_PROFILES"
  /// Where an operator's reader profiles file is looked for when none is named.
  public static let systemPath = "/etc/loyalty-terminal/reader-profiles.json"

  /// Loads a reader profiles file.
  public static func load(from url: URL) throws(LoadError) -> ReaderProfiles {
    let data: Data
    do throws(LocalFileError) { data = try LocalFile.read(url.path, as: "reader profiles", limit: 1 << 20) } catch {
      throw LoadError(source: nil, problems: [error.description])
    }
    return try decode(data, source: url.path)
  }

  /// Where an operator's own file is looked for when none is named, in order:
  /// `$LOYALTY_READER_PROFILES`, then `/etc/loyalty-terminal/reader-profiles.json`.
  public static func searchPaths(environment: [String: String] = ProcessInfo.processInfo.environment) -> [URL] {
    var paths: [URL] = []
    if let env = environment[environmentVariable], !env.isEmpty { paths.append(URL(fileURLWithPath: env)) }
    paths.append(URL(fileURLWithPath: systemPath))
    return paths
  }

  /// The default profiles: the first file of `searchPaths()` that exists, else the built-in table.
  ///
  /// `$LOYALTY_READER_PROFILES`, when set, must name a readable file: a typo there is an error,
  /// not a silent fall-back to the defaults.
  public static func standard(
    environment: [String: String] = ProcessInfo.processInfo.environment
  ) throws(LoadError) -> ReaderProfiles {
    if let env = environment[environmentVariable], !env.isEmpty { return try load(from: URL(fileURLWithPath: env)) }
    for url in searchPaths(environment: environment) where FileManager.default.fileExists(atPath: url.path) {
      return try load(from: url)
    }
    return builtIn
  }

  /// Parses the JSON of a profiles file; `source` (its path) names it in problems.
  public static func decode(_ data: Data, source: String) throws(LoadError) -> ReaderProfiles {
    let document: JSONValue
    do throws(ValidationProblems) { document = try JSONValue.parse(data) } catch {
      throw LoadError(source: source, problems: error.problems)
    }
    let w = DocumentWalker()
    let top = w.object(document, "", required: ["readers"], optional: ["comment"]) ?? [:]
    var profiles: [Profile] = []
    for (i, item) in (w.array(top["readers"], "readers") ?? []).enumerated() {
      let path = "readers[\(i)]"
      guard
        let r = w.object(
          item, path, required: ["name", "match"],
          optional: ["comment", "firmware", "success", "failure", "attention"])
      else { continue }
      let name = w.string(r["name"], "\(path).name")
      let match = w.string(r["match"], "\(path).match")
      let firmware = r["firmware"].flatMap { command($0, "\(path).firmware", w) }
      var signals: [CounterSignal: [ReaderCommand]] = [:]
      for (key, signal) in [("success", CounterSignal.success), ("failure", .failure), ("attention", .attention)] {
        let list = w.array(r[key], "\(path).\(key)") ?? []
        signals[signal] = list.enumerated().compactMap { command($1, "\(path).\(key)[\($0)]", w) }
      }
      if let name, let match {
        profiles.append(Profile(name: name, match: match, firmware: firmware, signals: signals))
      }
    }
    guard w.problems.isEmpty else { throw LoadError(source: source, problems: w.problems) }
    return ReaderProfiles(profiles: profiles)
  }

  /// One command: `{"pseudoAPDU": "FF00480000"}` or `{"escape": "E000001800"}`, 1-261 hex bytes.
  static func command(_ value: JSONValue, _ path: String, _ w: DocumentWalker) -> ReaderCommand? {
    guard let c = w.object(value, path, required: [], optional: ["pseudoAPDU", "escape"]) else { return nil }
    let kinds = ["pseudoAPDU", "escape"].filter { c[$0] != nil }
    guard kinds.count == 1, let key = kinds.first else {
      w.problem(path, "must be one command, {\"pseudoAPDU\": HEX} or {\"escape\": HEX}")
      return nil
    }
    guard let text = w.string(c[key], w.join(path, key), maxLength: 600) else { return nil }
    guard let bytes = Hex.decode(text), (1...261).contains(bytes.count) else {
      w.problem(w.join(path, key), "\"\(text)\" is not 1-261 bytes of hex (two digits a byte)")
      return nil
    }
    return key == "escape" ? .escape(bytes) : .pseudoAPDU(bytes)
  }
}

import CardReader
import Foundation
import HexCoding
import LocalFiles

/// How a card can carry its loyalty identity, tried in this order.
public enum IdentificationMethod: String, Codable, CaseIterable, Sendable {
  case applet, ndef, uid
}

/// What an ATR says about a card: a named type and which identification methods to try.
public struct CardProfile: Codable, Hashable, Sendable {
  public var name: String
  public var cardType: String
  /// Hex pattern: two characters per byte, `.` any nibble, a final `*` any remaining bytes.
  public var atr: String
  public var methods: [IdentificationMethod]

  public init(name: String, cardType: String, atr: String, methods: [IdentificationMethod]) {
    self.name = name
    self.cardType = cardType
    self.atr = atr
    self.methods = methods
  }
}

/// The table of ATR patterns (hardware/card-profiles.json), first match wins.
///
/// It is data, not code, so a new reader or card stock is supported by editing a file.
public struct CardProfiles: Sendable {
  public let profiles: [CardProfile]
  private let patterns: [[UInt8]]  // normalised: uppercase hex digits, '.', optional final '*'

  private struct File: Codable {
    var formatVersion: Int
    var profiles: [CardProfile]
  }

  /// Problems found in a profiles file, all of them.
  public struct LoadError: Error, CustomStringConvertible {
    public var problems: [String]
    public var description: String { "invalid card profiles: " + problems.joined(separator: "; ") }
  }

  /// Builds a table, checking every pattern.
  public init(_ profiles: [CardProfile]) throws(LoadError) {
    var problems: [String] = []
    var patterns: [[UInt8]] = []
    for (n, p) in profiles.enumerated() {
      var pattern = Array(p.atr.uppercased().utf8.filter { $0 != UInt8(ascii: " ") })
      let wildcardTail = pattern.last == UInt8(ascii: "*")
      if wildcardTail { pattern.removeLast() }
      if pattern.contains(where: { Hex.nibble($0) == nil && $0 != UInt8(ascii: ".") }) {
        problems.append(
          "profile \(n + 1) (\(p.name)): ATR pattern \"\(p.atr)\" has a character other than hex, '.' or a final '*'")
      }
      if pattern.count % 2 != 0 {
        problems.append("profile \(n + 1) (\(p.name)): ATR pattern has an odd number of digits")
      }
      if p.methods.isEmpty {
        problems.append("profile \(n + 1) (\(p.name)): no identification methods")
      }
      patterns.append(wildcardTail ? pattern + [UInt8(ascii: "*")] : pattern)
    }
    guard problems.isEmpty else { throw LoadError(problems: problems) }
    self.profiles = profiles
    self.patterns = patterns
  }

  /// Loads a profiles file.
  public static func load(from url: URL) throws(LoadError) -> CardProfiles {
    let data: Data
    do throws(LocalFileError) { data = try LocalFile.read(url.path, as: "card profiles", limit: 1 << 20) } catch {
      throw LoadError(problems: [error.description])
    }
    return try decode(data, source: url.path)
  }

  /// Parses the JSON of a profiles file; `source` names it in problems.
  static func decode(_ data: Data, source: String) throws(LoadError) -> CardProfiles {
    let file: File
    do { file = try JSONDecoder().decode(File.self, from: data) } catch {
      throw LoadError(problems: ["\(source) is not a valid profiles file: \(error)"])
    }
    guard file.formatVersion == 1 else {
      throw LoadError(problems: ["\(source): formatVersion \(file.formatVersion) is not supported (1 is)"])
    }
    return try CardProfiles(file.profiles)
  }

  /// The table built into the binary: hardware/card-profiles.json as it was at build time.
  public static func builtIn() -> CardProfiles {
    do {
      return try decode(Data(PackageResources.card_profiles_json), source: "the built-in card profiles")
    } catch {
      // The build's own copy is checked by the tests; it cannot be wrong in a released binary.
      preconditionFailure("\(error)")
    }
  }

  /// Where an operator's own profiles file is looked for when none is named, in order:
  /// `$LOYALTY_CARD_PROFILES`, then `/etc/loyalty-terminal/card-profiles.json`.
  public static func searchPaths(environment: [String: String] = ProcessInfo.processInfo.environment) -> [URL] {
    var paths: [URL] = []
    if let env = environment["LOYALTY_CARD_PROFILES"], !env.isEmpty {
      paths.append(URL(fileURLWithPath: env))
    }
    paths.append(URL(fileURLWithPath: "/etc/loyalty-terminal/card-profiles.json"))
    return paths
  }

  /// The default profiles: the first file of `searchPaths()` that exists, else the built-in table.
  ///
  /// `$LOYALTY_CARD_PROFILES`, when set, must name a readable file: a typo there is an error, not
  /// a silent fall-back to the defaults.
  public static func standard(
    environment: [String: String] = ProcessInfo.processInfo.environment
  ) throws(LoadError) -> CardProfiles {
    if let env = environment["LOYALTY_CARD_PROFILES"], !env.isEmpty {
      return try load(from: URL(fileURLWithPath: env))
    }
    for url in searchPaths(environment: environment) where FileManager.default.fileExists(atPath: url.path) {
      return try load(from: url)
    }
    return builtIn()
  }

  /// The first profile whose pattern matches `atr`, or `nil`.
  public func match(_ atr: [UInt8]) -> CardProfile? {
    let hex = Array(Hex.encode(atr).utf8)
    for (i, pattern) in patterns.enumerated() where Self.matches(hex, pattern) {
      return profiles[i]
    }
    return nil
  }

  static func matches(_ hex: [UInt8], _ pattern: [UInt8]) -> Bool {
    var p = pattern
    let open = p.last == UInt8(ascii: "*")
    if open { p.removeLast() }
    guard open ? hex.count >= p.count : hex.count == p.count else { return false }
    for (h, c) in zip(hex, p) where c != UInt8(ascii: ".") && c != h { return false }
    return true
  }
}

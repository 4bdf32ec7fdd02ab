import CardReader
import Foundation

/// How readers of a kind take LED, buzzer and firmware commands (`hardware/reader-profiles.json`,
/// built into the binary). A reader without a profile signals on the console.
public struct ReaderProfiles: Sendable {
  public struct Profile: Sendable, Hashable {
    public var name: String
    /// A reader whose PC/SC name contains this uses the profile.
    public var match: String
    public var firmware: ReaderCommand?
    public var signals: [CounterSignal: [ReaderCommand]]
  }

  public var profiles: [Profile]

  /// The built-in profiles.
  public static let builtIn: ReaderProfiles = {
    // The file is part of the build; a broken one fails the tests, not a counter.
    (try? ReaderProfiles.parse(Data(PackageResources.reader_profiles_json))) ?? ReaderProfiles(profiles: [])
  }()

  public init(profiles: [Profile]) { self.profiles = profiles }

  /// The profile of the reader named `reader`, if any.
  public func profile(for reader: String) -> Profile? { profiles.first { reader.contains($0.match) } }

  /// A firmware answer as text: an ACR1252U escape answer's payload (`E1 00 00 00 len …`) or a
  /// pseudo-APDU's data (a trailing 90 00 dropped), printable ASCII only.
  public static func firmwareText(_ answer: [UInt8]) -> String {
    var bytes = answer[...]
    if bytes.count >= 5, bytes.prefix(4).elementsEqual([0xE1, 0x00, 0x00, 0x00]) { bytes = bytes.dropFirst(5) }
    if bytes.suffix(2).elementsEqual([0x90, 0x00]) { bytes = bytes.dropLast(2) }
    return String(decoding: bytes.filter { (0x20...0x7E).contains($0) }, as: UTF8.self)
  }

  struct File: Decodable {
    struct Command: Decodable {
      var pseudoAPDU: String?
      var escape: String?
    }
    struct Reader: Decodable {
      var name: String
      var match: String
      var firmware: Command?
      var success: [Command]?
      var failure: [Command]?
      var attention: [Command]?
    }
    var readers: [Reader]
  }

  /// Parses a profiles file; a command that is not one hex pseudo-APDU or escape is an error
  /// naming the reader.
  public static func parse(_ data: Data) throws -> ReaderProfiles {
    let file = try JSONDecoder().decode(File.self, from: data)
    func command(_ c: File.Command, _ reader: String) throws -> ReaderCommand {
      switch (c.pseudoAPDU.flatMap(Hex.decode), c.escape.flatMap(Hex.decode)) {
      case (let bytes?, nil) where !bytes.isEmpty: return .pseudoAPDU(bytes)
      case (nil, let bytes?) where !bytes.isEmpty: return .escape(bytes)
      default:
        throw CardReaderError(.invalidCommand, "reader profile \(reader): a command is one hex pseudoAPDU or escape")
      }
    }
    return ReaderProfiles(
      profiles: try file.readers.map { r in
        Profile(
          name: r.name, match: r.match, firmware: try r.firmware.map { try command($0, r.name) },
          signals: [
            .success: try (r.success ?? []).map { try command($0, r.name) },
            .failure: try (r.failure ?? []).map { try command($0, r.name) },
            .attention: try (r.attention ?? []).map { try command($0, r.name) },
          ])
      })
  }
}

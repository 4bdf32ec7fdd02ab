import CardReader
import CounterFirmware
import Foundation

/// How readers of a kind take LED, buzzer and firmware commands (`hardware/reader-profiles.json`,
/// built into the binary; an operator's own file overrides it, see `standard()`). A reader without
/// a profile signals on the console.
public struct ReaderProfiles: Sendable {
  public struct Profile: Sendable, Hashable {
    public var name: String
    /// A reader whose PC/SC name contains this uses the profile.
    public var match: String
    public var firmware: ReaderCommand?
    public var signals: [CounterSignal: [ReaderCommand]]
  }

  public var profiles: [Profile]

  /// The built-in profiles: hardware/reader-profiles.json as it was at build time.
  public static let builtIn: ReaderProfiles = {
    // The file is part of the build; a broken one fails the tests, not a counter.
    (try? decode(Data(PackageResources.reader_profiles_json), source: "the built-in reader profiles"))
      ?? ReaderProfiles(profiles: [])
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
}

import HexCoding

/// Something that happened at the readers: hotplug, a card tapped or taken away, the service lost.
public enum ReaderEvent: Hashable, Sendable, CustomStringConvertible {
  /// A reader appeared (plugged in, or listed after the service came back).
  case readerAdded(reader: String)
  /// A reader disappeared (unplugged, or the service went away).
  case readerRemoved(reader: String)
  /// A card entered the field; `atr` is exactly what the reader reported (it may be malformed).
  case cardInserted(reader: String, atr: [UInt8])
  /// A card is in the field but does not answer (no ATR).
  case cardUnresponsive(reader: String)
  /// The card left the field.
  case cardRemoved(reader: String)
  /// The reader service became unreachable; recovery is under way.
  case serviceUnavailable(CardReaderError)
  /// The reader service is reachable again.
  case serviceRestored

  /// The reader this event is about, if any.
  public var reader: String? {
    switch self {
    case .readerAdded(let r), .readerRemoved(let r), .cardInserted(let r, _),
      .cardUnresponsive(let r), .cardRemoved(let r):
      return r
    case .serviceUnavailable, .serviceRestored:
      return nil
    }
  }

  public var description: String {
    switch self {
    case .readerAdded(let r): return "reader added: \(r)"
    case .readerRemoved(let r): return "reader removed: \(r)"
    case .cardInserted(let r, let atr): return "card inserted in \(r), ATR \(Hex.encode(atr))"
    case .cardUnresponsive(let r): return "unresponsive card in \(r)"
    case .cardRemoved(let r): return "card removed from \(r)"
    case .serviceUnavailable(let e): return "reader service unavailable: \(e.message)"
    case .serviceRestored: return "reader service restored"
    }
  }
}

/// A reader and what is in it right now.
public struct ReaderStatus: Hashable, Sendable {
  public var name: String
  /// The ATR of the card present, `nil` when the reader is empty.
  public var atr: [UInt8]?
  /// A card is present but mute.
  public var cardUnresponsive: Bool

  public init(name: String, atr: [UInt8]?, cardUnresponsive: Bool = false) {
    self.name = name
    self.atr = atr
    self.cardUnresponsive = cardUnresponsive
  }
}

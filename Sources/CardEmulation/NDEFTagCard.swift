import CardReader

/// An NFC Forum Type 4 tag holding one NDEF message.
public struct NDEFTagCard: EmulatedCard {
  /// The NDEF tag application's AID (mapping version 2.0).
  public static let aid: [UInt8] = [0xD2, 0x76, 0x00, 0x00, 0x85, 0x01, 0x01]
  public static let capabilityContainerID: UInt16 = 0xE103
  public static let ndefFileID: UInt16 = 0xE104
  /// Historical bytes of the emulated tag's ATR.
  public static let historicalBytes: [UInt8] = Array("NDEFTAG4".utf8)

  public let atr: [UInt8]
  public let uid: [UInt8]
  /// The NDEF message the tag holds.
  public let message: [UInt8]
  /// Maximum R-APDU data size the tag announces (MLe); small values force chunked reads.
  public let maxReadLength: Int

  private enum Selection { case none, application, capabilityContainer, ndefFile }
  private var selection = Selection.none

  /// A tag holding `message` (raw NDEF bytes).
  public init(message: [UInt8], uid: [UInt8] = [0x04, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66], maxReadLength: Int = 0x3B) {
    self.message = message
    self.uid = uid
    self.maxReadLength = max(1, min(maxReadLength, 0xFF))
    self.atr = ATR.contactless(historicalBytes: Self.historicalBytes)
  }

  /// A tag whose only record is a well-known Text record (language "en").
  public static func text(_ text: String, uid: [UInt8] = [0x04, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66]) -> NDEFTagCard {
    NDEFTagCard(message: NDEFEncoder.textRecord(text), uid: uid)
  }

  /// A tag whose only record is a well-known URI record.
  public static func uri(_ uri: String, uid: [UInt8] = [0x04, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66]) -> NDEFTagCard {
    NDEFTagCard(message: NDEFEncoder.uriRecord(uri), uid: uid)
  }

  var capabilityContainer: [UInt8] {
    let mle = UInt16(maxReadLength)
    return [
      0x00, 0x0F,  // CCLEN
      0x20,  // mapping version 2.0
      UInt8(mle >> 8), UInt8(mle & 0xFF),  // MLe
      0x00, 0x34,  // MLc
      0x04, 0x06,  // NDEF File Control TLV
      UInt8(Self.ndefFileID >> 8), UInt8(Self.ndefFileID & 0xFF),
      0x04, 0x00,  // max NDEF file size 1024
      0x00,  // read access: granted
      0xFF,  // write access: none
    ]
  }

  var ndefFile: [UInt8] { [UInt8(message.count >> 8), UInt8(message.count & 0xFF)] + message }

  public mutating func reset() { selection = .none }

  public mutating func respond(to command: [UInt8]) -> [UInt8] {
    guard let c = ParsedCommand(command) else { return SW.wrongLength }
    if c.cla == 0xFF {
      return c.ins == 0xCA ? answerGetUID(c, uid: uid) : SW.insNotSupported
    }
    guard c.cla & 0xFC == 0x00 else { return SW.claNotSupported }
    switch (c.ins, c.p1) {
    case (0xA4, 0x04):
      selection = c.data == Self.aid ? .application : .none
      return selection == .application ? SW.ok : SW.fileNotFound
    case (0xA4, 0x00):
      guard selection != .none, c.data.count == 2 else { return SW.fileNotFound }
      switch UInt16(c.data[0]) << 8 | UInt16(c.data[1]) {
      case Self.capabilityContainerID: selection = .capabilityContainer
      case Self.ndefFileID: selection = .ndefFile
      default: return SW.fileNotFound
      }
      return SW.ok
    case (0xB0, _):
      switch selection {
      case .capabilityContainer: return readBinary(c, file: capabilityContainer)
      case .ndefFile:
        if let ne = c.ne, ne > maxReadLength { return SW.wrongLength }
        return readBinary(c, file: ndefFile)
      case .none, .application: return SW.commandNotAllowed
      }
    default:
      return SW.insNotSupported
    }
  }
}

/// Builds the few NDEF messages the emulated tags carry (one short well-known record).
public enum NDEFEncoder {
  /// URI identifier codes (NFC Forum URI RTD) for the prefixes we abbreviate.
  static let uriPrefixes: [(code: UInt8, prefix: String)] = [
    (0x04, "https://"), (0x03, "http://"), (0x02, "https://www."), (0x01, "http://www."),
  ]

  /// A message with one record of type `type` and TNF well-known.
  public static func wellKnownRecord(type: [UInt8], payload: [UInt8]) -> [UInt8] {
    let short = payload.count < 256
    var header: UInt8 = 0x80 | 0x40 | 0x01  // MB, ME, TNF well-known
    if short { header |= 0x10 }
    var out: [UInt8] = [header, UInt8(type.count)]
    if short {
      out.append(UInt8(payload.count))
    } else {
      let n = UInt32(payload.count)
      out += [UInt8(n >> 24), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)]
    }
    return out + type + payload
  }

  /// A Text record, UTF-8, with language `language`.
  public static func textRecord(_ text: String, language: String = "en") -> [UInt8] {
    let lang = Array(language.utf8)
    return wellKnownRecord(type: [0x54], payload: [UInt8(lang.count)] + lang + Array(text.utf8))
  }

  /// A URI record, with the longest known prefix abbreviated.
  public static func uriRecord(_ uri: String) -> [UInt8] {
    for (code, prefix) in uriPrefixes.sorted(by: { $0.prefix.count > $1.prefix.count })
    where uri.hasPrefix(prefix) {
      return wellKnownRecord(type: [0x55], payload: [code] + Array(uri.utf8.dropFirst(prefix.utf8.count)))
    }
    return wellKnownRecord(type: [0x55], payload: [0x00] + Array(uri.utf8))
  }
}

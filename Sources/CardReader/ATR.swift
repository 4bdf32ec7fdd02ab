import HexCoding

/// A parsed answer to reset (ISO/IEC 7816-3), with the PC/SC Part 3 contactless fields.
///
/// Parsing is strict and bounded: the bytes come from a card and are hostile until checked.
public struct ATR: Hashable, Sendable, CustomStringConvertible {
  /// Why an ATR was refused.
  public struct ParseError: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { "malformed ATR: \(message)" }
  }

  /// The raw bytes.
  public let bytes: [UInt8]
  /// Protocols the ATR indicates (T=0 when none is named).
  public let protocols: [Int]
  /// The historical bytes.
  public let historicalBytes: [UInt8]
  /// The check byte, present when any protocol other than T=0 is indicated.
  public let tck: UInt8?

  /// An ATR is at most 33 bytes (TS plus 32).
  public static let maxLength = 33

  /// Parses and checks `bytes`.
  public init(_ bytes: [UInt8]) throws(ParseError) {
    func fail(_ m: String) -> ParseError { ParseError(message: m) }
    guard bytes.count >= 2 else { throw fail("\(bytes.count) byte(s), need at least TS and T0") }
    guard bytes.count <= Self.maxLength else {
      throw fail("\(bytes.count) bytes, more than \(Self.maxLength)")
    }
    guard bytes[0] == 0x3B || bytes[0] == 0x3F else {
      throw fail("TS is \(Hex.encode([bytes[0]])), expected 3B or 3F")
    }
    var i: Int
    var y = bytes[1] >> 4
    let k = Int(bytes[1] & 0x0F)
    i = 2
    var protocols: [Int] = []
    var level = 1
    while true {
      for bit: UInt8 in [0x1, 0x2, 0x4] where y & bit != 0 {
        guard i < bytes.count else { throw fail("interface bytes run past the end (level \(level))") }
        i += 1
      }
      if y & 0x8 != 0 {
        guard i < bytes.count else { throw fail("TD\(level) runs past the end") }
        let td = bytes[i]
        i += 1
        protocols.append(Int(td & 0x0F))
        y = td >> 4
        level += 1
        guard level <= 8 else { throw fail("more than 8 levels of interface bytes") }
      } else {
        break
      }
    }
    guard i + k <= bytes.count else {
      throw fail("T0 announces \(k) historical bytes, only \(bytes.count - i) present")
    }
    let historical = Array(bytes[i..<(i + k)])
    i += k
    let needsTCK = protocols.contains { $0 != 0 }
    var tck: UInt8?
    if needsTCK {
      guard i == bytes.count - 1 else {
        throw fail(i >= bytes.count ? "TCK missing" : "\(bytes.count - i - 1) trailing byte(s) after TCK")
      }
      let x = bytes[1...].reduce(0, ^)
      guard x == 0 else { throw fail("TCK \(Hex.encode([bytes[i]])) does not check") }
      tck = bytes[i]
    } else {
      guard i == bytes.count else { throw fail("\(bytes.count - i) trailing byte(s)") }
    }
    self.bytes = bytes
    self.protocols = protocols.isEmpty ? [0] : Array(Set(protocols.filter { $0 != 15 })).sorted()
    self.historicalBytes = historical
    self.tck = tck
  }

  /// The PC/SC Part 3 storage-card fields (`80 4F 0C A0 00 00 03 06 SS NN NN ...`), if present.
  public var storageCard: (standard: UInt8, cardName: UInt16)? {
    let h = historicalBytes
    guard h.count >= 12, h[0] == 0x80, h[1] == 0x4F, h[2] >= 0x0C,
      h[3...7].elementsEqual([0xA0, 0x00, 0x00, 0x03, 0x06])
    else { return nil }
    return (h[8], UInt16(h[9]) << 8 | UInt16(h[10]))
  }

  public var description: String { Hex.encode(bytes) }
}

extension ATR {
  /// Builds a PC/SC Part 3 contactless ATR `3B 8n 80 01 <historical> TCK`.
  public static func contactless(historicalBytes: [UInt8]) -> [UInt8] {
    precondition(historicalBytes.count <= 15)
    var atr: [UInt8] = [0x3B, 0x80 | UInt8(historicalBytes.count), 0x80, 0x01] + historicalBytes
    atr.append(atr[1...].reduce(0, ^))
    return atr
  }

  /// The PC/SC Part 3 ATR of a storage card (`SS` standard, `NN NN` card name).
  public static func storageCard(standard: UInt8 = 0x03, cardName: UInt16) -> [UInt8] {
    contactless(historicalBytes: [
      0x80, 0x4F, 0x0C, 0xA0, 0x00, 0x00, 0x03, 0x06, standard,
      UInt8(cardName >> 8), UInt8(cardName & 0xFF), 0x00, 0x00, 0x00, 0x00,
    ])
  }
}

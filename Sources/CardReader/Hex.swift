/// Hexadecimal encoding and decoding of byte strings, as written in logs, profiles and JSON.
public enum Hex {
  private static let digits: [UInt8] = Array("0123456789ABCDEF".utf8)

  /// Uppercase hex without separators, e.g. `04A1B2C3`.
  public static func encode<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
    var out = [UInt8]()
    out.reserveCapacity(bytes.count * 2)
    for b in bytes {
      out.append(digits[Int(b >> 4)])
      out.append(digits[Int(b & 0x0F)])
    }
    return String(decoding: out, as: UTF8.self)
  }

  /// Decodes hex, ignoring spaces and colons; `nil` on any other character or an odd digit count.
  public static func decode(_ text: String) -> [UInt8]? {
    var out = [UInt8]()
    var high: UInt8?
    for c in text.utf8 {
      if c == UInt8(ascii: " ") || c == UInt8(ascii: ":") { continue }
      guard let v = nibble(c) else { return nil }
      if let h = high {
        out.append(h << 4 | v)
        high = nil
      } else {
        high = v
      }
    }
    return high == nil ? out : nil
  }

  /// The value of one hex digit (ASCII), or `nil`.
  public static func nibble(_ c: UInt8) -> UInt8? {
    switch c {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
    default: return nil
    }
  }
}

import Foundation

/// Hexadecimal encoding and decoding of byte strings — the project's one hex codec: card UIDs,
/// APDUs and ATRs in logs, profiles and JSON (upper case), digests and key fingerprints (lower
/// case).
public enum Hex {
  /// Uppercase hex without separators, e.g. `04A1B2C3`.
  public static func encode<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
    encode(bytes, digits: "0123456789ABCDEF")
  }

  /// Lowercase hex without separators, as digests are written (`3f9a…`).
  public static func lowercase<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
    encode(bytes, digits: "0123456789abcdef")
  }

  /// Lowercase hex of a digest or MAC (anything that lends its bytes: swift-crypto's digests).
  public static func lowercase(digest: some ContiguousBytes) -> String {
    digest.withUnsafeBytes { lowercase($0) }
  }

  /// Two digits a byte, written straight into the string's storage.
  private static func encode<C: Collection>(_ bytes: C, digits: StaticString) -> String where C.Element == UInt8 {
    let table = digits.utf8Start
    return String(unsafeUninitializedCapacity: bytes.count * 2) { out in
      var i = 0
      for b in bytes {
        out[i] = table[Int(b >> 4)]
        out[i + 1] = table[Int(b & 0x0F)]
        i += 2
      }
      return i
    }
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

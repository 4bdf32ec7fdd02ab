import LoyaltyEngine

/// Parses an entry line by scanning its bytes, accepting only the canonical spelling: the fields
/// in canonical order, integers without sign or leading zeros (but a leading '-'), strings with
/// exactly the escapes `LedgerLine.quote` writes. Accepting a line here is the same as "it parses
/// and encodes back to the same bytes", without building JSON values or encoding again.
struct CanonicalLineScanner {
  /// Field names in canonical order; an entry's fields must appear in this order.
  static let order: [[UInt8]] = [
    "seq", "kind", "id", "at", "terminal", "account", "card", "points", "amount", "currency", "receipt", "ref", "data",
    "count", "key", "prev", "sig",
  ].map { Array($0.utf8) }
  static let integerFields: Set<Int> = [0, 7, 8, 13]

  enum Value {
    case integer(Int64)
    case string(String)
  }

  /// The fields by canonical index, or nil when the line is not canonical.
  static func scan(_ b: ArraySlice<UInt8>) -> [Int: Value]? {
    var i = b.startIndex
    let end = b.endIndex
    guard i < end, b[i] == UInt8(ascii: "{") else { return nil }
    i += 1
    var fields: [Int: Value] = [:]
    var lastIndex = -1
    var first = true
    while true {
      guard i < end else { return nil }
      if b[i] == UInt8(ascii: "}") {
        return i + 1 == end && !first ? fields : nil
      }
      if !first {
        guard b[i] == UInt8(ascii: ",") else { return nil }
        i += 1
      }
      first = false
      // Key: a plain string naming the next field in order.
      guard i < end, b[i] == UInt8(ascii: "\"") else { return nil }
      i += 1
      let keyStart = i
      while i < end, b[i] != UInt8(ascii: "\"") { i += 1 }
      guard i < end else { return nil }
      let key = b[keyStart..<i]
      i += 1
      guard i < end, b[i] == UInt8(ascii: ":") else { return nil }
      i += 1
      var index = lastIndex + 1
      while index < order.count, !order[index].elementsEqual(key) { index += 1 }
      guard index < order.count else { return nil }  // unknown, repeated or out of order
      lastIndex = index
      if integerFields.contains(index) {
        guard let (value, next) = integer(b, i) else { return nil }
        fields[index] = .integer(value)
        i = next
      } else {
        guard let (value, next) = string(b, i) else { return nil }
        fields[index] = .string(value)
        i = next
      }
    }
  }

  static func integer(_ b: ArraySlice<UInt8>, _ start: Int) -> (Int64, Int)? {
    var i = start
    var negative = false
    if i < b.endIndex, b[i] == UInt8(ascii: "-") {
      negative = true
      i += 1
    }
    let digitsStart = i
    var magnitude: UInt64 = 0
    while i < b.endIndex, (0x30...0x39).contains(b[i]) {
      let (m, o1) = magnitude.multipliedReportingOverflow(by: 10)
      let (s, o2) = m.addingReportingOverflow(UInt64(b[i] - 0x30))
      guard !o1, !o2 else { return nil }
      magnitude = s
      i += 1
    }
    let count = i - digitsStart
    guard count > 0, count == 1 || b[digitsStart] != 0x30 else { return nil }  // no empty, no leading zero
    if negative {
      guard magnitude != 0, magnitude <= UInt64(Int64.max) + 1 else { return nil }  // no "-0"
      return (magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude), i)
    }
    guard magnitude <= UInt64(Int64.max) else { return nil }
    return (Int64(magnitude), i)
  }

  static func string(_ b: ArraySlice<UInt8>, _ start: Int) -> (String, Int)? {
    var i = start
    guard i < b.endIndex, b[i] == UInt8(ascii: "\"") else { return nil }
    i += 1
    var out: [UInt8] = []
    var plainStart = i
    while i < b.endIndex {
      let c = b[i]
      if c == UInt8(ascii: "\"") {
        out += b[plainStart..<i]
        // Valid UTF-8 only: a lossy decode would hide a changed byte.
        guard let s = String(validating: out, as: UTF8.self) else { return nil }
        return (s, i + 1)
      }
      if c < 0x20 { return nil }  // raw control characters are always escaped
      if c == UInt8(ascii: "\\") {
        out += b[plainStart..<i]
        guard i + 1 < b.endIndex else { return nil }
        switch b[i + 1] {
        case UInt8(ascii: "\""): out.append(0x22)
        case UInt8(ascii: "\\"): out.append(0x5C)
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "u"):
          // Only \u00XX for control characters other than \n \r \t, lowercase hex, as written.
          guard i + 5 < b.endIndex, b[i + 2] == 0x30, b[i + 3] == 0x30,
            let hi = hexLower(b[i + 4]), let lo = hexLower(b[i + 5])
          else { return nil }
          let v = hi << 4 | lo
          guard v < 0x20, v != 0x0A, v != 0x0D, v != 0x09 else { return nil }
          out.append(v)
          i += 4
        default: return nil
        }
        i += 2
        plainStart = i
        continue
      }
      i += 1
    }
    return nil
  }

  static func hexLower(_ c: UInt8) -> UInt8? {
    switch c {
    case 0x30...0x39: return c - 0x30
    case 0x61...0x66: return c - 0x61 + 10
    default: return nil
    }
  }
}

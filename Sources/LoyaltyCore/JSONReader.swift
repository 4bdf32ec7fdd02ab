import Foundation

/// A strict reader of one JSON document (RFC 8259) into `JSONValue`. It refuses what the RFC
/// refuses, and two things a decoder lets through that a hand-edited file should not carry: a key
/// given twice in one object (which of the two would count?) and a number with a fraction or an
/// exponent read as an integer (`"format": 2.0`). A number written as an integer is `.integer`
/// (refused beyond 64 bits, where a decoder would quietly make it a fraction), any other number
/// `.number`. Nesting is bounded, so no document can
/// exhaust the stack.
struct JSONReader {
  /// The deepest nesting of arrays and objects accepted.
  static let maxDepth = 64

  /// Why the document was refused, and the byte where.
  struct Failure: Error {
    var message: String
    var offset: Int
  }

  private let bytes: [UInt8]
  private var i = 0
  private var depth = 0

  private init(_ bytes: [UInt8]) { self.bytes = bytes }

  /// The document in `data`: one value, with only whitespace (and a leading byte-order mark) around it.
  static func read(_ data: Data) throws(ValidationProblems) -> JSONValue {
    var reader = JSONReader(Array(data))
    do throws(Failure) {
      if reader.bytes.starts(with: [0xEF, 0xBB, 0xBF]) { reader.i = 3 }
      reader.skipSpace()
      let value = try reader.value()
      reader.skipSpace()
      guard reader.i == reader.bytes.count else { throw reader.fail("more after the document's end") }
      return value
    } catch {
      throw ValidationProblems(["\(error.message) (\(reader.position(of: error.offset)))"])
    }
  }

  /// "line L, column C" of byte `offset` (columns in bytes, both 1-based).
  func position(of offset: Int) -> String {
    let before = bytes[..<min(offset, bytes.count)]
    let line = before.reduce(1) { $1 == 0x0A ? $0 + 1 : $0 }
    let column = offset - (before.lastIndex(of: 0x0A).map { $0 + 1 } ?? 0) + 1
    return "line \(line), column \(column)"
  }

  private func fail(_ message: String, at offset: Int? = nil) -> Failure {
    Failure(message: "not valid JSON: " + message, offset: offset ?? i)
  }

  private mutating func skipSpace() {
    while i < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[i]) { i += 1 }
  }

  private mutating func value() throws(Failure) -> JSONValue {
    guard i < bytes.count else { throw fail("the document ends where a value was expected") }
    switch bytes[i] {
    case UInt8(ascii: "{"): return try object()
    case UInt8(ascii: "["): return try array()
    case UInt8(ascii: "\""): return .string(try string())
    case UInt8(ascii: "t"): return try literal("true", .bool(true))
    case UInt8(ascii: "f"): return try literal("false", .bool(false))
    case UInt8(ascii: "n"): return try literal("null", .null)
    case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
    default: throw fail("unexpected character where a value was expected")
    }
  }

  private mutating func literal(_ word: String, _ value: JSONValue) throws(Failure) -> JSONValue {
    let utf8 = Array(word.utf8)
    guard bytes[i...].starts(with: utf8) else { throw fail("unexpected character where a value was expected") }
    i += utf8.count
    return value
  }

  private mutating func nest() throws(Failure) {
    depth += 1
    guard depth <= Self.maxDepth else { throw fail("nested deeper than \(Self.maxDepth) levels") }
  }

  private mutating func object() throws(Failure) -> JSONValue {
    try nest()
    i += 1
    var members: [String: JSONValue] = [:]
    skipSpace()
    if i < bytes.count, bytes[i] == UInt8(ascii: "}") {
      i += 1
      depth -= 1
      return .object(members)
    }
    while true {
      skipSpace()
      let keyStart = i
      guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw fail("a key (a string) was expected") }
      let key = try string()
      guard members[key] == nil else {
        throw Failure(
          message: "key \"\(key)\" is given twice in one object: keep one", offset: keyStart)
      }
      skipSpace()
      guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw fail("\":\" was expected after a key") }
      i += 1
      skipSpace()
      members[key] = try value()
      skipSpace()
      guard i < bytes.count else { throw fail("the document ends inside an object") }
      if bytes[i] == UInt8(ascii: ",") {
        i += 1
        continue
      }
      guard bytes[i] == UInt8(ascii: "}") else { throw fail("\",\" or \"}\" was expected") }
      i += 1
      depth -= 1
      return .object(members)
    }
  }

  private mutating func array() throws(Failure) -> JSONValue {
    try nest()
    i += 1
    var items: [JSONValue] = []
    skipSpace()
    if i < bytes.count, bytes[i] == UInt8(ascii: "]") {
      i += 1
      depth -= 1
      return .array(items)
    }
    while true {
      skipSpace()
      items.append(try value())
      skipSpace()
      guard i < bytes.count else { throw fail("the document ends inside an array") }
      if bytes[i] == UInt8(ascii: ",") {
        i += 1
        continue
      }
      guard bytes[i] == UInt8(ascii: "]") else { throw fail("\",\" or \"]\" was expected") }
      i += 1
      depth -= 1
      return .array(items)
    }
  }

  /// A number: `.integer` when written without a fraction or an exponent and within 64 bits.
  private mutating func number() throws(Failure) -> JSONValue {
    let start = i
    func digits() -> Int {
      let from = i
      while i < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[i]) { i += 1 }
      return i - from
    }
    if bytes[i] == UInt8(ascii: "-") { i += 1 }
    let whole = i
    guard digits() > 0 else { throw fail("a digit was expected") }
    guard bytes[whole] != UInt8(ascii: "0") || i == whole + 1 else {
      throw fail("a number does not start with 0", at: whole)
    }
    var integral = true
    if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
      i += 1
      integral = false
      guard digits() > 0 else { throw fail("a digit was expected after \".\"") }
    }
    if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
      i += 1
      integral = false
      if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
      guard digits() > 0 else { throw fail("a digit was expected in the exponent") }
    }
    let text = String(decoding: bytes[start..<i], as: UTF8.self)
    if integral {
      guard let value = Int64(text) else {
        throw fail(
          "\(text.prefix(24))\(text.count > 24 ? "…" : "") is beyond 64 bits (whole numbers here are at most 9223372036854775807)",
          at: start)
      }
      return .integer(value)
    }
    guard let value = Double(text), value.isFinite else { throw fail("a number out of range", at: start) }
    return .number(value)
  }

  /// A string, its escapes read; the bytes must be UTF-8, with no control character unescaped.
  private mutating func string() throws(Failure) -> String {
    i += 1
    var out: [UInt8] = []
    while true {
      guard i < bytes.count else { throw fail("the document ends inside a string") }
      let b = bytes[i]
      switch b {
      case UInt8(ascii: "\""):
        i += 1
        guard let text = String(validating: out, as: UTF8.self) else { throw fail("a string that is not UTF-8") }
        return text
      case UInt8(ascii: "\\"):
        i += 1
        guard i < bytes.count else { throw fail("the document ends inside a string") }
        let escaped = bytes[i]
        i += 1
        switch escaped {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escaped)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "u"): out.append(contentsOf: try unicodeEscape())
        default: throw fail("an unknown escape \"\\\(Character(Unicode.Scalar(escaped)))\"", at: i - 2)
        }
      case 0x00..<0x20:
        throw fail("a control character in a string (escape it)")
      default:
        out.append(b)
        i += 1
      }
    }
  }

  /// The UTF-8 of a `\uXXXX` escape (the `\u` read), a surrogate pair taken whole.
  private mutating func unicodeEscape() throws(Failure) -> [UInt8] {
    let start = i - 2
    var unit = try hex4()
    if (0xD800..<0xDC00).contains(unit) {
      guard bytes[i...].starts(with: [UInt8(ascii: "\\"), UInt8(ascii: "u")]) else {
        throw fail("a lone surrogate in a \\u escape", at: start)
      }
      i += 2
      let low = try hex4()
      guard (0xDC00..<0xE000).contains(low) else { throw fail("a lone surrogate in a \\u escape", at: start) }
      unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
    } else if (0xDC00..<0xE000).contains(unit) {
      throw fail("a lone surrogate in a \\u escape", at: start)
    }
    guard let scalar = Unicode.Scalar(unit) else { throw fail("an invalid \\u escape", at: start) }
    return Array(String(Character(scalar)).utf8)
  }

  private mutating func hex4() throws(Failure) -> UInt32 {
    guard i + 4 <= bytes.count, let v = UInt32(String(decoding: bytes[i..<(i + 4)], as: UTF8.self), radix: 16),
      bytes[i..<(i + 4)].allSatisfy({ $0 != UInt8(ascii: "+") && $0 != UInt8(ascii: "-") })
    else { throw fail("four hex digits were expected after \\u") }
    i += 4
    return v
  }
}

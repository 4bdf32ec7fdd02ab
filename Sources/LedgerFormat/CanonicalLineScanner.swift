import Foundation
import LoyaltyCore

/// Parses an entry line by scanning its bytes, accepting only the canonical spelling: the fields
/// in canonical order, integers without sign or leading zeros (but a leading '-'), strings with
/// exactly the escapes `LedgerLine.quote` writes. Accepting a line here is the same as "it parses
/// and encodes back to the same bytes", without building JSON values or encoding again.
///
/// It fills a `LedgerEntry` in place: no per-line dictionary, and a string without escapes is
/// made straight from the line's bytes.
struct CanonicalLineScanner {
  /// Field names in canonical order; an entry's fields must appear in this order.
  static let order: [[UInt8]] = [
    "seq", "kind", "id", "at", "terminal", "account", "card", "points", "amount", "currency", "receipt", "ref", "data",
    "lines", "version", "tier", "pendingDays", "basis", "proof", "count", "key", "prev", "sig",
  ].map { Array($0.utf8) }

  /// Kinds by their spelling's bytes.
  static let kinds: [(bytes: [UInt8], kind: LedgerEntry.Kind)] = LedgerEntry.Kind.allCases.map {
    (Array($0.rawValue.utf8), $0)
  }

  /// Why a line is refused (the caller words the message).
  enum Failure: Error {
    case notCanonical
    case missing(String)
    case invalid(String)
  }

  /// The entry on `b`, or why it is not a canonical entry line.
  static func scan(_ b: UnsafeBufferPointer<UInt8>) throws(Failure) -> LedgerEntry {
    var e = LedgerEntry(kind: .seal, id: "", at: UTCInstant(seconds: 0), terminal: "")
    var seen: UInt32 = 0
    var i = 0
    let end = b.count
    guard end > 0, b[0] == UInt8(ascii: "{") else { throw .notCanonical }
    i = 1
    var lastIndex = -1
    while true {
      guard i < end else { throw .notCanonical }
      if b[i] == UInt8(ascii: "}") {
        guard i + 1 == end, seen != 0 else { throw .notCanonical }
        break
      }
      if seen != 0 {
        guard b[i] == UInt8(ascii: ",") else { throw .notCanonical }
        i += 1
      }
      // Key: a plain string naming the next field in order.
      guard i < end, b[i] == UInt8(ascii: "\"") else { throw .notCanonical }
      i += 1
      let keyStart = i
      while i < end, b[i] != UInt8(ascii: "\"") { i += 1 }
      guard i + 1 < end, b[i + 1] == UInt8(ascii: ":") else { throw .notCanonical }
      let key = UnsafeBufferPointer(rebasing: b[keyStart..<i])
      i += 2
      var index = lastIndex + 1
      while index < order.count,
        !(order[index].count == key.count && memcmp(order[index], key.baseAddress!, key.count) == 0)
      {
        index += 1
      }
      guard index < order.count else { throw .notCanonical }  // unknown, repeated or out of order
      lastIndex = index
      seen |= 1 << index
      switch index {
      case 0: e.seq = try integer(b, &i)
      case 7: e.points = try integer(b, &i)
      case 8: e.amount = try integer(b, &i)
      case 13:
        guard let lines = PurchaseLine.decode(try string(b, &i)) else {
          throw .invalid("lines are not category=amount,… (letters, digits, -, _ or . and whole amounts)")
        }
        e.lines = lines
      case 14: e.version = try integer(b, &i)
      case 15: e.tier = try string(b, &i)
      case 16: e.pendingDays = Int(try integer(b, &i))
      case 17: e.basis = try integer(b, &i)
      case 18: e.proof = try string(b, &i)
      case 19:
        let count = try integer(b, &i)
        guard count >= 0, count <= Int64(Int32.max) else { throw .invalid("count out of range") }
        e.count = Int(count)
      case 1:
        let text = try plain(b, &i)
        guard let kind = kinds.first(where: { $0.bytes.elementsEqual(text) })?.kind else {
          throw .invalid("kind unknown")
        }
        e.kind = kind
      case 2: e.id = try string(b, &i)
      case 3:
        guard let at = UTCInstant(parsingUTF8: try plain(b, &i)) else { throw .invalid("at is not a UTC time") }
        e.at = at
      case 4: e.terminal = try string(b, &i)
      case 5: e.account = try string(b, &i)
      case 6: e.card = try string(b, &i)
      case 9: e.currency = try string(b, &i)
      case 10: e.receipt = try string(b, &i)
      case 11: e.ref = try string(b, &i)
      case 12: e.data = try string(b, &i)
      case 20: e.key = try string(b, &i)
      case 21: e.prev = try string(b, &i)
      default: e.sig = try string(b, &i)
      }
    }
    for (index, name) in [(0, "seq"), (1, "kind"), (2, "id"), (3, "at"), (4, "terminal"), (21, "prev")]
    where seen & (1 << index) == 0 {
      throw .missing(name)
    }
    guard !e.id.isEmpty else { throw .missing("id") }
    guard !e.terminal.isEmpty else { throw .missing("terminal") }
    return e
  }

  static func integer(_ b: UnsafeBufferPointer<UInt8>, _ i: inout Int) throws(Failure) -> Int64 {
    var negative = false
    if i < b.count, b[i] == UInt8(ascii: "-") {
      negative = true
      i += 1
    }
    let digitsStart = i
    var magnitude: UInt64 = 0
    while i < b.count, (0x30...0x39).contains(b[i]) {
      let (m, o1) = magnitude.multipliedReportingOverflow(by: 10)
      let (s, o2) = m.addingReportingOverflow(UInt64(b[i] - 0x30))
      guard !o1, !o2 else { throw .notCanonical }
      magnitude = s
      i += 1
    }
    let count = i - digitsStart
    guard count > 0, count == 1 || b[digitsStart] != 0x30 else { throw .notCanonical }  // no empty, no leading 0
    if negative {
      guard magnitude != 0, magnitude <= UInt64(Int64.max) + 1 else { throw .notCanonical }  // no "-0"
      return magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
    }
    guard magnitude <= UInt64(Int64.max) else { throw .notCanonical }
    return Int64(magnitude)
  }

  static func string(_ b: UnsafeBufferPointer<UInt8>, _ i: inout Int) throws(Failure) -> String {
    guard i < b.count, b[i] == UInt8(ascii: "\"") else { throw .notCanonical }
    i += 1
    let start = i
    // Fast path: no escapes up to the closing quote.
    var high: UInt8 = 0
    while i < b.count, b[i] != UInt8(ascii: "\""), b[i] != UInt8(ascii: "\\"), b[i] >= 0x20 {
      high |= b[i]
      i += 1
    }
    guard i < b.count else { throw .notCanonical }
    if b[i] == UInt8(ascii: "\"") {
      let text = UnsafeBufferPointer(rebasing: b[start..<i])
      i += 1
      // ASCII is valid UTF-8 as it is; anything else must be valid UTF-8 (a lossy decode would
      // hide a changed byte).
      if high < 0x80 { return String(decoding: text, as: UTF8.self) }
      guard let s = String(validating: text, as: UTF8.self) else { throw .notCanonical }
      return s
    }
    return try escapedString(b, &i, plainFrom: start)
  }

  /// A string field that must be plain ASCII without escapes (kinds, times), as its bytes.
  static func plain(_ b: UnsafeBufferPointer<UInt8>, _ i: inout Int) throws(Failure) -> UnsafeBufferPointer<UInt8> {
    guard i < b.count, b[i] == UInt8(ascii: "\"") else { throw .notCanonical }
    let start = i + 1
    i = start
    while i < b.count, b[i] != UInt8(ascii: "\""), b[i] != UInt8(ascii: "\\"), b[i] >= 0x20, b[i] < 0x80 { i += 1 }
    guard i < b.count, b[i] == UInt8(ascii: "\"") else { throw .notCanonical }
    i += 1
    return UnsafeBufferPointer(rebasing: b[start..<(i - 1)])
  }

  static func escapedString(_ b: UnsafeBufferPointer<UInt8>, _ i: inout Int, plainFrom start: Int) throws(Failure)
    -> String
  {
    var out: [UInt8] = []
    var plainStart = start
    while i < b.count {
      let c = b[i]
      if c == UInt8(ascii: "\"") {
        out += b[plainStart..<i]
        guard let s = String(validating: out, as: UTF8.self) else { throw .notCanonical }
        i += 1
        return s
      }
      if c < 0x20 { throw .notCanonical }  // raw control characters are always escaped
      if c == UInt8(ascii: "\\") {
        out += b[plainStart..<i]
        guard i + 1 < b.count else { throw .notCanonical }
        switch b[i + 1] {
        case UInt8(ascii: "\""): out.append(0x22)
        case UInt8(ascii: "\\"): out.append(0x5C)
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "u"):
          // Only \u00XX for control characters other than \n \r \t, lowercase hex, as written.
          guard i + 5 < b.count, b[i + 2] == 0x30, b[i + 3] == 0x30,
            let hi = hexLower(b[i + 4]), let lo = hexLower(b[i + 5])
          else { throw .notCanonical }
          let v = hi << 4 | lo
          guard v < 0x20, v != 0x0A, v != 0x0D, v != 0x09 else { throw .notCanonical }
          out.append(v)
          i += 4
        default: throw .notCanonical
        }
        i += 2
        plainStart = i
        continue
      }
      i += 1
    }
    throw .notCanonical
  }

  static func hexLower(_ c: UInt8) -> UInt8? {
    switch c {
    case 0x30...0x39: return c - 0x30
    case 0x61...0x66: return c - 0x61 + 10
    default: return nil
    }
  }
}

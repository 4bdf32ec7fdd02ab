import Crypto
import Foundation
import LoyaltyEngine

/// The canonical text of ledger lines, and their strict parsing.
///
/// A parsed line is encoded again and must give back the very same bytes: any other spelling of
/// the same object (spaces, key order, escapes, duplicate keys) is refused.
public enum LedgerLine {
  /// SHA-256 of a line's bytes (without its newline), lowercase hex.
  public static func hash(_ line: some Sequence<UInt8>) -> String {
    let digest = SHA256.hash(data: Array(line))
    var hex = [UInt8]()
    hex.reserveCapacity(64)
    let digits = Array("0123456789abcdef".utf8)
    for byte in digest {
      hex.append(digits[Int(byte >> 4)])
      hex.append(digits[Int(byte & 0x0F)])
    }
    return String(decoding: hex, as: UTF8.self)
  }

  public static func encode(_ h: LedgerHeader) -> String {
    "{\"format\":\(quote(LedgerHeader.format)),\"hq\":\(quote(h.hqKey)),\"created\":\(quote(h.created.description))}"
  }

  public static func encode(_ e: LedgerEntry) -> String {
    var out =
      "{\"seq\":\(e.seq),\"kind\":\(quote(e.kind.rawValue)),\"id\":\(quote(e.id)),\"at\":\(quote(e.at.description)),\"terminal\":\(quote(e.terminal))"
    func add(_ name: String, _ value: String?) { if let value { out += ",\"\(name)\":\(quote(value))" } }
    func add(_ name: String, _ value: Int64?) { if let value { out += ",\"\(name)\":\(value)" } }
    add("account", e.account)
    add("card", e.card)
    add("points", e.points)
    add("amount", e.amount)
    add("currency", e.currency)
    add("receipt", e.receipt)
    add("ref", e.ref)
    add("data", e.data)
    add("count", e.count.map(Int64.init))
    add("key", e.key)
    add("prev", e.prev)
    add("sig", e.sig)
    return out + "}"
  }

  /// JSON string literal with the minimal escapes (", \, control characters).
  static func quote(_ s: String) -> String {
    var out = "\""
    for scalar in s.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      case _ where scalar.value < 0x20:
        out += String(format: "\\u%04x", scalar.value)
      default: out.unicodeScalars.append(scalar)
      }
    }
    return out + "\""
  }

  /// Parses the header line.
  public static func parseHeader(_ bytes: ArraySlice<UInt8>) throws(LedgerError) -> LedgerHeader {
    guard case .object(let o)? = try? JSONValue.parse(Data(bytes)), o.count == 3,
      case .string(LedgerHeader.format)? = o["format"], case .string(let hq)? = o["hq"],
      case .string(let createdText)? = o["created"], let created = UTCInstant(parsing: createdText)
    else { throw LedgerError(line: 1, "not a \(LedgerHeader.format) header") }
    let header = LedgerHeader(hqKey: hq, created: created)
    guard Array(encode(header).utf8) == Array(bytes) else {
      throw LedgerError(line: 1, "header is not in canonical form")
    }
    return header
  }

  /// Parses an entry line (1-based `line` for messages). Only the canonical spelling is accepted.
  public static func parseEntry(_ bytes: ArraySlice<UInt8>, line: Int) throws(LedgerError) -> LedgerEntry {
    func fail(_ m: String) -> LedgerError { LedgerError(line: line, m) }
    guard let f = CanonicalLineScanner.scan(bytes) else {
      throw fail("not a ledger entry in canonical form (fields, order, spelling, or encoding)")
    }
    func string(_ i: Int) -> String? { if case .string(let s)? = f[i] { s } else { nil } }
    func integer(_ i: Int) -> Int64? { if case .integer(let v)? = f[i] { v } else { nil } }
    guard let seq = integer(0) else { throw fail("seq missing") }
    guard let kindText = string(1), let kind = LedgerEntry.Kind(rawValue: kindText) else {
      throw fail("kind missing or unknown")
    }
    guard let id = string(2), !id.isEmpty else { throw fail("id missing") }
    guard let atText = string(3), let at = UTCInstant(parsing: atText) else {
      throw fail("at missing or not a UTC time")
    }
    guard let terminal = string(4), !terminal.isEmpty else { throw fail("terminal missing") }
    guard let prev = string(15) else { throw fail("prev missing") }
    let count = integer(13)
    if let count, count > Int64(Int32.max) || count < 0 { throw fail("count out of range") }
    return LedgerEntry(
      seq: seq, kind: kind, id: id, at: at, terminal: terminal, account: string(5), card: string(6), points: integer(7),
      amount: integer(8), currency: string(9), receipt: string(10), ref: string(11), data: string(12),
      count: count.map { Int($0) }, key: string(14), sig: string(16), prev: prev)
  }
}

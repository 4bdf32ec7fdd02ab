import Crypto
import Foundation
import HexCoding
import LoyaltyCore

/// The canonical text of ledger lines, and their strict parsing.
///
/// A parsed line is encoded again and must give back the very same bytes: any other spelling of
/// the same object (spaces, key order, escapes, duplicate keys) is refused.
public enum LedgerLine {
  /// SHA-256 of a line's bytes (without its newline), lowercase hex.
  public static func hash(_ line: some Collection<UInt8>) -> String {
    let digest =
      line.withContiguousStorageIfAvailable { SHA256.hash(data: UnsafeRawBufferPointer($0)) }
      ?? SHA256.hash(data: Array(line))
    return Hex.lowercase(digest: digest)
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
    add("lines", e.lines.map(PurchaseLine.encode))
    add("version", e.version)
    add("tier", e.tier)
    add("pendingDays", e.pendingDays.map(Int64.init))
    add("basis", e.basis)
    add("proof", e.proof)
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
    if let problem = bytes.withUnsafeBufferPointer(strayBytes) { throw LedgerError(line: 1, problem) }
    if case .object(let o)? = try? JSONValue.parse(Data(bytes)), case .string(let format)? = o["format"],
      format != LedgerHeader.format, format.hasPrefix("loyalty-ledger/")
    {
      throw LedgerError(
        line: 1,
        "this ledger is \(format); this version reads \(LedgerHeader.format) only (its entries carry what the audit "
          + "needs to re-derive them). Start a new chain with `ledger init` and bootstrap terminals from its snapshot")
    }
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
    try bytes.withUnsafeBufferPointer { (buffer) throws(LedgerError) in try parseEntry(buffer, line: line) }
  }

  static func parseEntry(_ bytes: UnsafeBufferPointer<UInt8>, line: Int) throws(LedgerError) -> LedgerEntry {
    do {
      return try CanonicalLineScanner.scan(bytes)
    } catch {
      switch error {
      case .notCanonical:
        throw LedgerError(
          line: line,
          strayBytes(bytes) ?? "not a ledger entry in canonical form (fields, order, spelling, or encoding)")
      case .missing(let field): throw LedgerError(line: line, "\(field) missing")
      case .invalid(let why): throw LedgerError(line: line, why)
      }
    }
  }

  /// What an editor or a transfer adds to a line that the canonical form never has, if anything:
  /// a UTF-8 byte order mark, or a CR from CRLF line ends.
  static func strayBytes(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
    if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF {
      return "starts with a UTF-8 byte order mark (EF BB BF); ledger lines never have one: "
        + "the file was re-saved by an editor — restore it from HQ's copy"
    }
    if bytes.last == 0x0D {
      return "ends with a carriage return (CRLF line ends); ledger lines end with LF only: "
        + "the file was converted in transfer — restore it from HQ's copy"
    }
    return nil
  }
}

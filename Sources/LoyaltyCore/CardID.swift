import HexCoding

/// A card's identity, typed by what it is: a loyalty number (read from the loyalty applet or an
/// NDEF record, or scanned from the card's print) or the chip's anti-collision UID.
///
/// The two never share a canonical text: a loyalty number is 16 digits, a UID 8, 14 or 20
/// uppercase hex characters (4, 7 or 10 bytes). So the text the cache and the ledger store *is*
/// the typed value, and parsing it back decides by length, never by which characters it holds: a
/// 7-byte UID made only of the digits 0-9 (`04673630627700`, about one UID in 280) is a UID.
public struct CardID: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
  public enum Kind: String, Hashable, Sendable, Codable, CaseIterable {
    /// 16 digits with a Luhn check digit.
    case loyaltyNumber
    /// 4, 7 or 10 bytes, written as uppercase hex.
    case uid
  }

  public let kind: Kind
  /// The canonical text: what the cache, the ledger and the receipts hold.
  public let text: String

  /// A UID as the reader returned it.
  public init(uid bytes: [UInt8]) throws(RuleError) {
    try self.init(uid: Hex.encode(bytes))
  }

  /// A UID from its uppercase hex text.
  public init(uid text: String) throws(RuleError) {
    let bytes = Array(text.utf8)
    let upperHex = bytes.allSatisfy { (0x30...0x39).contains($0) || (0x41...0x46).contains($0) }
    guard [8, 14, 20].contains(bytes.count), upperHex else {
      throw RuleError(
        .unknownCard, "\"\(Self.shown(text))\" is not a UID: 4, 7 or 10 bytes in uppercase hex (8, 14 or 20 characters)"
      )
    }
    // ISO 14443-3: a 4-byte UID starting 08 is random per power-up, not an identity.
    guard !(bytes.count == 8 && text.hasPrefix("08")) else {
      throw RuleError(.unknownCard, "\"\(text)\" is a random UID (4 bytes starting 08): it changes at every tap")
    }
    kind = .uid
    self.text = text
  }

  /// A loyalty number: 16 digits passing the Luhn check.
  public init(loyaltyNumber text: String) throws(RuleError) {
    let bytes = Array(text.utf8)
    guard bytes.count == LoyaltyNumber.length, bytes.allSatisfy({ (0x30...0x39).contains($0) }) else {
      throw RuleError(.unknownCard, "\"\(Self.shown(text))\" is not a loyalty number: 16 digits")
    }
    guard LoyaltyNumber.luhnValid(bytes.map { $0 - 0x30 }) else {
      throw RuleError(.unknownCard, "\"\(text)\" is not a loyalty number: its check digit (Luhn) is wrong")
    }
    kind = .loyaltyNumber
    self.text = text
  }

  /// Parses the canonical text, by its length: 16 characters are a loyalty number, 8, 14 or 20 a
  /// UID. Ledger lines and cache rows are read with this; nothing else is accepted.
  public init(_ text: String) throws(RuleError) {
    switch text.utf8.count {
    case LoyaltyNumber.length: try self.init(loyaltyNumber: text)
    case 8, 14, 20: try self.init(uid: text)
    default:
      throw RuleError(
        .unknownCard,
        "\"\(Self.shown(text))\" is not a card: a loyalty number is 16 digits, a UID 8, 14 or 20 hex characters")
    }
  }

  /// Parses what an operator types or a scanner reads: the canonical text, or one that says its
  /// kind (`uid:04a1b2c3d4e5f6`, `number:4000 0012 3456 7899`); a UID's hex may be lower case and
  /// a number may be grouped by spaces or dashes.
  public init(parsing input: String) throws(RuleError) {
    let trimmed = input.trimmingSpaces
    let lower = trimmed.lowercased()
    if lower.hasPrefix("uid:") {
      try self.init(uid: String(trimmed.dropFirst(4)).trimmingSpaces.uppercased())
    } else if lower.hasPrefix("number:") {
      try self.init(loyaltyNumber: String(trimmed.dropFirst(7).filter { $0 != " " && $0 != "-" }))
    } else {
      let grouped = trimmed.filter { $0 != " " && $0 != "-" }
      if grouped.count == LoyaltyNumber.length, grouped.allSatisfy({ $0.isASCII && $0.isNumber }) {
        try self.init(loyaltyNumber: grouped)
      } else {
        try self.init(trimmed.uppercased())
      }
    }
  }

  public var description: String { text }

  /// The card as the display and receipts show it: its last four characters ("****7895").
  public var masked: String { Self.masked(text) }

  /// A card's text as the display and receipts show it: its last four characters ("****7895").
  public static func masked(_ text: String) -> String { "****" + text.suffix(4) }

  /// `text` with every card number in it masked: each run of letters and digits that is a card's
  /// canonical text (a loyalty number, an upper-case hex UID) becomes "****" and its last four.
  /// For lines built from entries (ids like `link-<card>`, reasons naming a card) shown outside
  /// HQ's customer service.
  public static func maskingCards(in text: String) -> String {
    var out = ""
    var run = ""
    func flush() {
      out += run.count >= 8 && (try? CardID(run)) != nil ? masked(run) : run
      run = ""
    }
    for c in text {
      if c.isASCII && (c.isLetter || c.isNumber) {
        run.append(c)
      } else {
        flush()
        out.append(c)
      }
    }
    flush()
    return out
  }

  public static func < (a: CardID, b: CardID) -> Bool { a.text < b.text }

  public init(from decoder: any Decoder) throws {
    let text = try decoder.singleValueContainer().decode(String.self)
    try self.init(text)
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    try container.encode(text)
  }

  /// Hostile text cut for a message.
  static func shown(_ text: String) -> String { text.count <= 40 ? text : text.prefix(40) + "…" }
}

extension String {
  fileprivate var trimmingSpaces: String {
    String(drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
  }
}

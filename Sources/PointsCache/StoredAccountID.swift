import Foundation
import GRDB

/// An account id as the receipt index stores it: an id of the form every enrolment gives
/// (`acct-` and 24 lowercase hex digits, `Identities.accountID`) as the 12 bytes its digits
/// spell, any other id as its text. A receipt's index entry is then 17 bytes shorter, and a
/// replica keeps one for every receipt still refundable in the chain.
enum StoredAccountID {
  static let prefix = Array("acct-".utf8)
  static let digits = Array("0123456789abcdef".utf8)

  /// The value stored for `id` (read byte by byte: a sync stores two for each account it moves).
  static func value(_ id: String) -> DatabaseValue {
    var id = id
    id.makeContiguousUTF8()
    let bytes = id.utf8.withContiguousStorageIfAvailable { text -> [UInt8]? in
      guard text.count == prefix.count + 24, text.starts(with: prefix) else { return nil }
      var out = [UInt8](repeating: 0, count: 12)
      for i in 0..<12 {
        guard let high = nibble(text[prefix.count + 2 * i]), let low = nibble(text[prefix.count + 2 * i + 1])
        else { return nil }
        out[i] = high << 4 | low
      }
      return out
    }
    return (bytes ?? nil).map { Data($0).databaseValue } ?? id.databaseValue
  }

  /// A lowercase hex digit's value (uppercase is not the form ids take: stored as text).
  static func nibble(_ c: UInt8) -> UInt8? {
    switch c {
    case 0x30...0x39: c - 0x30
    case 0x61...0x66: c - 0x61 + 10
    default: nil
    }
  }

  /// The id a stored value names, or nil for a value of another kind.
  static func id(_ value: DatabaseValue) -> String? {
    switch value.storage {
    case .blob(let data) where data.count == 12:
      String(decoding: prefix + data.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0x0F)]] }, as: UTF8.self)
    case .string(let text): text
    default: nil
    }
  }
}

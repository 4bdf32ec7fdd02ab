import Foundation
import GRDB
import HexCoding

/// An account id as the receipt index stores it: an id of the form every enrolment gives
/// (`acct-` and 24 lowercase hex digits, `Identities.accountID`) as the 12 bytes its digits
/// spell, any other id as its text. A receipt's index entry is then 17 bytes shorter, and a
/// replica keeps one for every receipt still refundable in the chain.
enum StoredAccountID {
  static let prefix = "acct-"

  /// The value stored for `id`.
  static func value(_ id: String) -> DatabaseValue {
    guard id.utf8.count == 29, id.hasPrefix(prefix) else { return id.databaseValue }
    let digits = String(id.dropFirst(prefix.count))
    guard let bytes = Hex.decode(digits), Hex.lowercase(bytes) == digits else { return id.databaseValue }
    return Data(bytes).databaseValue
  }

  /// The id a stored value names, or nil for a value of another kind.
  static func id(_ value: DatabaseValue) -> String? {
    switch value.storage {
    case .blob(let data) where data.count == 12: prefix + Hex.lowercase(data)
    case .string(let text): text
    default: nil
    }
  }
}

import Foundation
import LoyaltyCore

/// An account's state as its row stores it (`account.state`, `account.working`): the canonical
/// encoding less the id the row's key holds (`AccountStateEncoding.detached`, since
/// `v16-state-without-id`), about 30 bytes shorter. A canonical encoding stored whole (a row
/// written by hand, or one the migration could not detach) reads as it is.
enum StoredState {
  /// What the row of account `id` stores for its state's canonical bytes.
  static func value(_ canonical: Data, id: String) -> Data {
    Data(AccountStateEncoding.detached(Array(canonical), id: id))
  }

  /// The canonical bytes of account `id`'s state from what its row stores.
  static func canonical(_ stored: Data, id: String) -> [UInt8] {
    AccountStateEncoding.attached(Array(stored), id: id)
  }

  /// The state of account `id` from what its row stores.
  static func decode(_ stored: Data, id: String) throws -> AccountState {
    try AccountStateEncoding.decode(canonical(stored, id: id))
  }

  /// The keys (cards, receipts, balance) of account `id`'s state from what its row stores.
  static func keys(_ stored: Data, id: String) throws -> StateKeys {
    try AccountStateEncoding.keys(canonical(stored, id: id))
  }
}

import Crypto
import Foundation
import HexCoding
import LedgerFormat
import LocalFiles

/// How HQ names a cardholder to the systems outside it (a customer-messaging webhook): a keyed
/// reference, `cust-` and 24 hex digits of HMAC-SHA256 of the account id under a secret only HQ
/// holds. An account id is an unkeyed digest of its enrolling card, so with the issuer's number
/// range (and a card's last four digits) anyone holding one finds the card number by trying
/// candidates; a reference gives nothing back without HQ's secret. The same account always has
/// the same reference (a receiver can tell its customers apart); HQ's customer service finds the
/// account of a reference (`ledger account --customer`).
public struct CustomerReferences: Sendable {
  let key: [UInt8]

  public init(key: [UInt8]) { self.key = key }

  /// The reference of `account`.
  public func reference(of account: String) -> String {
    let mac = HMAC<SHA256>.authenticationCode(
      for: Array("loyalty/customer/v1\n\(account)".utf8), using: SymmetricKey(data: key))
    return "cust-" + Hex.lowercase(digest: mac).prefix(24)
  }

  /// The secret's file beside HQ's ledger.
  public static func defaultPath(ledger: String) -> String { ledger + ".customer-key" }

  /// The secret in `path` (32 bytes, hex, mode 600), created there first when `create` and it
  /// does not exist yet (said in `created`).
  public static func load(from path: String, create: Bool) throws(LedgerError) -> (
    references: CustomerReferences, created: Bool
  ) {
    if create, !FileManager.default.fileExists(atPath: path) {
      let key = SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
      do {
        try SystemCall.create(Array((Hex.lowercase(key) + "\n").utf8), atPath: path, permissions: .ownerReadWrite)
        return (CustomerReferences(key: key), true)
      } catch {
        // Another run created it meanwhile: read that one.
        if case .create(let errno) = error, errno == .fileExists {
        } else {
          throw LedgerError(line: 0, "cannot create the customer reference key \(path): \(error)")
        }
      }
    }
    let bytes = try PrivateFile.read(path, what: "customer reference key", limit: 256)
    let text = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    guard let key = Hex.decode(text), key.count == 32 else {
      throw LedgerError(line: 0, "customer reference key \(path) is not 64 hex digits")
    }
    return (CustomerReferences(key: key), false)
  }
}

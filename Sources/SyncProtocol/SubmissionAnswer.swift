import Foundation
import LedgerFormat
import LoyaltyCore

/// HQ's answer to a submission: what was appended, what the ledger already held (an earlier
/// attempt, or the same once-only event from another counter), what was refused and why, for
/// which terminal — signed by HQ's key over the service (`sign(with:)`), so an on-path proxy or a
/// forged line in HQ's answers file cannot make a terminal drop honest entries as "refused".
/// Over the embedded file path the terminal makes the answer itself and it carries no signature.
public struct SubmissionAnswer: Codable, Hashable, Sendable, HQSigned {
  /// A refused entry of the batch: its id and why (the one shape of a refusal by id).
  public typealias Refusal = EntryRefusal

  public var batch: String
  public var appended: [String]
  public var held: [String]
  public var refused: [Refusal]
  /// Bytes of a torn append HQ cut from its file's tail before admitting.
  public var repairedBytes: Int = 0
  /// The terminal whose batch this answers (nil over the file path).
  public var terminal: String?
  /// Base64 Ed25519 signature by HQ's key over `signedBytes()`; nil over the file path.
  public var signature: String?

  public init(batch: String, appended: [String], held: [String], refused: [Refusal], terminal: String? = nil) {
    self.batch = batch
    self.appended = appended
    self.held = held
    self.refused = refused
    self.terminal = terminal
  }

  /// The bytes HQ signs: a domain line, then every field the answer says, each string with its
  /// UTF-8 length before it (so no id or reason can shift into another field):
  ///
  ///     loyalty-sync/1 answer
  ///     terminal 3:T01
  ///     batch 64:<hex>
  ///     appended 2
  ///     10:enroll-…
  ///     held 0
  ///     refused 1
  ///     9:earn-T01… 17:<reason>
  ///     repairedBytes 0
  public func signedBytes() -> Data {
    func field(_ s: String) -> String { "\(s.utf8.count):\(s)" }
    var text = "\(SyncCheckpoint.protocolName) answer\n"
    text += "terminal \(field(terminal ?? ""))\nbatch \(field(batch))\n"
    text += "appended \(appended.count)\n" + appended.map { field($0) + "\n" }.joined()
    text += "held \(held.count)\n" + held.map { field($0) + "\n" }.joined()
    text += "refused \(refused.count)\n" + refused.map { "\(field($0.id)) \(field($0.reason))\n" }.joined()
    text += "repairedBytes \(repairedBytes)\n"
    return Data(text.utf8)
  }

  /// Signs with HQ's key (every field as it is now).
  public mutating func sign(with key: LedgerKey) {
    signature = key.signature(for: signedBytes()).base64EncodedString()
  }

  /// Checks the answer is HQ's (signed by `hqKey`) to `terminal`'s batch; nothing of it is to be
  /// believed otherwise.
  public func check(signedBy hqKey: String?, for terminal: String) throws(SyncProtocolError) {
    guard let hqKey, isSigned(by: hqKey), self.terminal == terminal else {
      throw SyncProtocolError(
        "HQ's answer to batch \(batch.prefix(16))… is not signed by HQ's key: nothing marked refused; the entries stay "
          + "in the outbox (is something between this counter and HQ? use https)")
    }
  }
}

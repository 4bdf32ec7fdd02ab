import Foundation
import LedgerFormat
import LocalFiles
import LoyaltyCore
import SystemPackage

/// The central ledger file: append-only, one line per entry, every batch closed by a signed seal.
public struct LedgerFile: Sendable {
  public let path: String

  public init(path: String) { self.path = path }

  /// Creates a new ledger with HQ's public key in its header; refuses to overwrite one.
  public static func create(at path: String, hqKey: LedgerKey, created: UTCInstant) throws(LedgerError) -> LedgerFile {
    let line = LedgerLine.encode(LedgerHeader(hqKey: hqKey.publicKeyBase64, created: created)) + "\n"
    do {
      try SystemCall.create(Array(line.utf8), atPath: path, permissions: FilePermissions(rawValue: 0o644))
    } catch {
      switch error {
      case .create(let errno): throw LedgerError(line: 0, "cannot create ledger \(path): \(errno)")
      case .write: throw LedgerError(line: 0, "cannot write ledger \(path)")
      }
    }
    return LedgerFile(path: path)
  }

  /// Appends `entries` and a seal signed by `key` for `signer`, under an exclusive lock, and
  /// fsyncs before returning. Sequence numbers and the chain are filled in here. Returns the
  /// lines as written.
  @discardableResult
  public func append(_ entries: [LedgerEntry], signer: String, key: LedgerKey, at: UTCInstant) throws(LedgerError)
    -> [LedgerEntry]
  {
    guard !entries.isEmpty else { return [] }
    do {
      return try withExclusiveLock { locked in
        // HQ's acts go through the same admission as a terminal's batch, all or nothing. A torn
        // tail (a writer killed mid-append) is cut first, as a sync's admission cuts it.
        var audited = try locked.audited(repairing: true)
        return try locked.admit(
          entries.map(\.entry), to: &audited, signer: signer, key: key, at: at, allOrNothing: true
        ).appended
      }
    } catch let error as LedgerError {
      throw error
    } catch {
      throw LedgerError(line: 0, "\(error)")
    }
  }
}

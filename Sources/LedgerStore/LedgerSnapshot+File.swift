import Foundation
import LedgerFormat
import LoyaltyCore

extension LedgerSnapshot {
  /// Checks the signature against the HQ key in the ledger's header, and that the ledger at
  /// `path` really has the snapshot's last sealed line where the snapshot says (the embedded file
  /// path, where the terminal reads HQ's file itself).
  public func check(against path: String) throws(LedgerError) {
    guard format == Self.format else { throw LedgerError(line: 0, "not a \(Self.format) snapshot") }
    // The ledger must hold the snapshot's last sealed line where the snapshot says (and its HQ key).
    let ledgerFile = LedgerFile(path: path)
    do {
      try ledgerFile.withExclusiveLock { locked in try locked.checkExtends(ledger) }
    } catch let error as LedgerError {
      throw LedgerError(line: error.line, "the snapshot does not match this ledger: \(error.reason)")
    } catch {
      throw LedgerError(line: 0, "cannot read ledger \(path): \(error)")
    }
    try checkSignature()
  }
}

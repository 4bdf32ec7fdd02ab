import ArgumentParser
import Ledger
import LoyaltyCore

/// `loyalty-terminal ledger verify`: exit 0 for a clean ledger; 1 naming the first bad line, or
/// listing what the audit leaves out (batches sealed past the admission, entries whose
/// re-derivation fails) — readers skip those, so they never halt a sync, but HQ must know.
struct LedgerVerifyCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "verify",
    abstract: "Check the chain, every seal, and audit every entry; name the first bad line or what is left out.")

  @Option(help: "The ledger file.")
  var ledger: String

  @Flag(help: "Print JSON.")
  var json = false

  func run() throws {
    try report(json: json) {
      let fold: LedgerFold
      let s: LedgerVerifier.Summary
      do throws(LedgerError) {
        (fold, s) = try LedgerFold.fold(path: ledger)
      } catch {
        throw CommandFailure(
          reason: "invalidLedger", message: error.line > 0 ? "\(ledger): \(error.description)" : error.description)
      }
      do {
        let left = fold.leftOut()
        guard left.isEmpty else {
          throw CommandFailure(
            reason: "auditFailed",
            message:
              "\(ledger): the chain verifies, but the audit leaves out \(left.count) (every reader skips them):\n  "
              + left.joined(separator: "\n  "))
        }
        let restored = fold.audit.restores.count
        let asRecorded = fold.audit.takenAsRecorded
        let restoreNote =
          restored == 0
          ? ""
          : "; restored from a backup \(restored == 1 ? "once" : "\(restored) times"): "
            + "\(LedgerEntryListing.entries(asRecorded)) decided on the history it lost, taken as recorded"
        return (
          "ok: \(LedgerEntryListing.entries(s.entries)) in \(LedgerEntryListing.count(s.seals, "sealed batch", plural: "sealed batches")), "
            + "last seq \(s.lastSeq), \(LedgerEntryListing.count(s.terminals.count, "registered terminal")); "
            + "every counter entry re-derived\(asRecorded > 0 ? " but those" : "")\(restoreNote)",
          [
            "ok": true, "entries": s.entries, "seals": s.seals, "lastSeq": s.lastSeq,
            "terminals": s.terminals.keys.sorted(), "restores": restored, "takenAsRecorded": asRecorded,
          ]
        )
      }
    }
  }
}

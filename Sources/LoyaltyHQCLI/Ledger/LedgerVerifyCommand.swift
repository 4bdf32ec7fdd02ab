import ArgumentParser
import HQBackOffice
import LedgerFormat
import LedgerStore
import LoyaltyCLISupport
import LoyaltyCore

/// `loyalty-hq ledger verify`: exit 0 for a clean ledger; 1 naming the first bad line, or
/// listing what the audit leaves out (batches sealed past the admission, entries whose
/// re-derivation fails) — readers skip those, so they never halt a sync, but HQ must know.
struct LedgerVerifyCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "verify",
    abstract: "Check the chain, every seal, and audit every entry; name the first bad line or what is left out.")

  @OptionGroup var file: LedgerFileOption
  var ledger: String { file.ledger }

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
        var derived = "every counter entry re-derived"
        if asRecorded > 0 {
          derived +=
            " but \(LedgerEntryListing.entries(asRecorded)) decided on history HQ lost when it restored a backup"
            + " (taken as recorded)"
        } else if restored > 0 {
          derived += "; restored from a backup \(restored == 1 ? "once" : "\(restored) times")"
        }
        return (
          "ok: \(LedgerEntryListing.entries(s.entries)) in \(LedgerEntryListing.count(s.seals, "sealed batch", plural: "sealed batches")), "
            + "last seq \(s.lastSeq), \(LedgerEntryListing.count(s.terminals.count, "registered terminal")); \(derived)",
          [
            "ok": true, "entries": s.entries, "seals": s.seals, "lastSeq": s.lastSeq,
            "terminals": s.terminals.keys.sorted(), "restores": restored, "takenAsRecorded": asRecorded,
          ]
        )
      }
    }
  }
}

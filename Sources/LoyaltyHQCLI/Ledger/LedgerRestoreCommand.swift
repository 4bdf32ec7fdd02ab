import ArgumentParser
import Foundation
import HQBackOffice
import LedgerFormat
import LedgerStore
import LoyaltyCLISupport
import LoyaltyCore

/// `loyalty-hq ledger restore --from DIR`: puts a backup back, with `hq serve` stopped.
struct LedgerRestoreCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "restore",
    abstract: "Put a backup back in place of the ledger (loyalty-hq serve stopped); counters send again what HQ lost.",
    discussion: """
      The backup is verified first; the ledger as it stands and its companions are moved into
      LEDGER.before-restore-TIME/ (never deleted); a restore line sealed by HQ follows the backup's
      last line. At their next sync, counters that had synced past the backup go back to their last
      sync before it and send again what they recorded since: no honest point is lost. HQ's own
      entries after the backup (registrations, programs, adjustments, expiries) are listed: do them
      again. `--dry-run` says all this without changing anything.
      """)

  @Option(help: "The backup directory (written by `ledger backup --to`).")
  var from: String

  @OptionGroup var hq: HQOptions

  @Flag(help: "Restore a backup that is not an earlier state of the ledger as it stands.")
  var force = false

  @Flag(help: "Verify the backup and say what the restore would do; change nothing.")
  var dryRun = false

  func run() throws {
    try reportLedger(json: hq.json) {
      let key = try LedgerKey.load(from: hq.hqKey)
      let outcome = try LedgerRestore.restore(
        LedgerFile(path: hq.ledger), from: from, key: key, at: hq.time, force: force, dryRun: dryRun)
      var lines: [String] = []
      let verb = dryRun ? "would restore" : "restored"
      lines.append("\(verb) \(hq.ledger) from \(from): its history to seq \(outcome.point) stands")
      if let aside = outcome.movedAside { lines.append("the ledger it replaced is kept in \(aside)") }
      if let seq = outcome.restoreSeq {
        let lost =
          outcome.replacedLastSeq.map { "seq \(outcome.point + 1)…\($0)" }
          ?? "whatever followed seq \(outcome.point) (the ledger it replaced could not be read: the seqs skip 2^32, "
          + "and HQ's own entries after the backup cannot be listed — redo them from your records)"
        lines.append(
          "\(dryRun ? "a restore line would be" : "restore line") at seq \(seq): HQ lost \(lost); each counter that "
            + "synced it goes back at its next sync and sends its entries again")
      } else {
        lines.append("the ledger already ended where the backup does: nothing lost, no restore line")
      }
      if !outcome.lostHQEntries.isEmpty {
        lines.append("HQ's own entries after the backup are lost; do them again:")
        for e in outcome.lostHQEntries.prefix(20) { lines.append("  " + LedgerEntryListing.line(e, seq: true)) }
        if outcome.lostHQEntries.count > 20 { lines.append("  … and \(outcome.lostHQEntries.count - 20) more") }
      }
      var object: [String: Any] = [
        "point": outcome.point, "dryRun": dryRun,
        "lostHQEntries": outcome.lostHQEntries.map { ["seq": $0.seq, "kind": $0.kind.rawValue, "id": $0.id] },
      ]
      object["restoreSeq"] = outcome.restoreSeq
      object["replacedLastSeq"] = outcome.replacedLastSeq
      object["movedAside"] = outcome.movedAside
      return (lines.joined(separator: "\n"), object)
    }
  }
}

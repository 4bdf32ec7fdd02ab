import ArgumentParser
import Foundation
import HQBackOffice
import LedgerFormat
import LedgerStore
import LoyaltyCLISupport
import LoyaltyCore

/// `loyalty-hq ledger backup --ledger L --to DIR`: a consistent copy while `hq serve` runs.
struct LedgerBackupCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "backup",
    abstract: "Copy the ledger and its companions into a new directory, under the writers' lock, and verify the copy.",
    discussion: """
      Safe while `loyalty-hq serve` runs: admissions wait for the copy, downloads go on. The copy ends at the
      last sealed batch and is verified and audited; backup.json lists every file with its size and
      SHA-256. `--check DIR` verifies an existing backup. Restore with `ledger restore --from DIR`.
      """)

  @Option(help: "The ledger file.")
  var ledger: String?

  @Option(help: "The new directory to write the backup into (created mode 700; must not hold anything).")
  var to: String?

  @Option(help: "Verify the backup in this directory instead of taking one.")
  var check: String?

  @Option(help: "When (UTC), recorded in the manifest; default now.")
  var at: UTCInstant?

  @Flag(help: "Print JSON.")
  var json = false

  func validate() throws {
    guard (check == nil) != (to == nil) else {
      throw ValidationError("give either --to DIR (with --ledger) or --check DIR")
    }
    if to != nil, ledger == nil { throw ValidationError("--to needs --ledger (the ledger to back up)") }
  }

  func run() throws {
    try reportLedger(json: json) {
      if let check {
        let (manifest, state) = try LedgerBackup.verify(check)
        return (
          "backup \(check) is sound: \(manifest.ledger) to seq \(state.lastSeq) (\(state.lines) lines), "
            + "\(LedgerEntryListing.count(manifest.files.count, "file")), taken \(manifest.takenAt)",
          ["backup": check, "lastSeq": state.lastSeq, "lines": state.lines, "takenAt": manifest.takenAt]
        )
      }
      let manifest = try LedgerBackup.take(LedgerFile(path: ledger!), to: to!, at: at ?? .wallClock)
      let bytes = manifest.files.reduce(0) { $0 + $1.bytes }
      return (
        "backed up \(ledger!) to \(to!): seq \(manifest.lastSeq), \(manifest.lines) lines, "
          + "\(LedgerEntryListing.count(manifest.files.count, "file")), \(bytes) bytes; verified",
        [
          "backup": to!, "lastSeq": manifest.lastSeq, "lines": manifest.lines, "files": manifest.files.map(\.name),
          "bytes": bytes,
        ]
      )
    }
  }
}

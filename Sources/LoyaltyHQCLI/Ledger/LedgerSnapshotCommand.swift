import ArgumentParser
import Foundation
import HQBackOffice
import LedgerFormat
import LedgerStore
import LoyaltyCLISupport

/// `loyalty-hq ledger snapshot --out FILE`: an HQ-signed starting point for new terminals.
struct LedgerSnapshotCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "snapshot",
    abstract: "Write an HQ-signed snapshot (balances, lots, cards, receipts, program, ledger position).")

  @Option(help: "Where to write the snapshot (JSON).")
  var out: String

  @OptionGroup var hq: HQOptions

  func run() throws {
    try reportLedger(json: hq.json) {
      let snapshot = try LedgerSnapshot.make(path: hq.ledger, hqKey: LedgerKey.load(from: hq.hqKey))
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
      try encoder.encode(snapshot).write(to: URL(fileURLWithPath: out), options: .atomic)
      return (
        "snapshot of \(snapshot.accounts.count) accounts at line \(snapshot.ledger.lines) (seq \(snapshot.ledger.lastSeq)) written to \(out)",
        ["accounts": snapshot.accounts.count, "lastSeq": snapshot.ledger.lastSeq, "file": out]
      )
    }
  }
}

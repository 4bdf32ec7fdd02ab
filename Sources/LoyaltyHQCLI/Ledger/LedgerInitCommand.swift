import ArgumentParser
import HQBackOffice
import LedgerFormat
import LedgerStore
import LoyaltyCLISupport

/// `loyalty-hq ledger init`: a new ledger whose header names HQ's public key.
struct LedgerInitCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "init", abstract: "Create a new ledger file for HQ's key.")

  @OptionGroup var hq: HQOptions

  func run() throws {
    try reportLedger(json: hq.json) {
      let key = try LedgerKey.load(from: hq.hqKey)
      _ = try LedgerFile.create(at: hq.ledger, hqKey: key, created: hq.time)
      return (
        "ledger \(hq.ledger) created for HQ key \(key.publicKeyBase64)",
        ["ledger": hq.ledger, "hqKey": key.publicKeyBase64]
      )
    }
  }
}

import ArgumentParser
import Foundation
import HQBackOffice
import LedgerFormat
import LedgerStore
import LoyaltyCLISupport
import LoyaltyCore

/// `loyalty-hq ledger register-terminal ID --public-key KEY`: HQ lets a terminal seal.
struct LedgerRegisterTerminalCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "register-terminal",
    abstract: "Register (or rotate) a terminal's public key; its seals verify from this entry on.")

  @Argument(help: "The terminal id.")
  var terminal: String

  @Option(help: "The terminal's public key (base64, as `loyalty-terminal keygen` prints it on the terminal).")
  var publicKey: String

  @OptionGroup var hq: HQOptions

  func validate() throws {
    try validateTerminalID(terminal)
    guard let raw = Data(base64Encoded: publicKey), raw.count == 32 else {
      throw ValidationError("--public-key must be a base64 Ed25519 public key (32 bytes)")
    }
  }

  func run() throws {
    try reportLedger(json: hq.json) {
      let written = try hq.append([
        LedgerEntry(
          kind: .terminalRegister, id: "register-\(terminal)-\(publicKey.prefix(16))", at: hq.time, terminal: Entry.hq,
          ref: terminal,
          data: publicKey)
      ])
      return (
        "terminal \(terminal) registered at seq \(written[0].seq)", ["terminal": terminal, "seq": written[0].seq]
      )
    }
  }
}

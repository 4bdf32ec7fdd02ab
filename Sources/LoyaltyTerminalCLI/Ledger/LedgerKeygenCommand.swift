import ArgumentParser
import Ledger

/// `loyalty-terminal ledger keygen --out PATH`: a new Ed25519 key file, mode 600.
struct LedgerKeygenCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "keygen", abstract: "Create a private key file (mode 600) and print its public key.")

  @Option(help: "Where to write the key (never overwritten).")
  var out: String

  @Flag(help: "Print JSON.")
  var json = false

  func run() throws {
    try reportLedger(json: json) {
      let key = try LedgerKey.generate(at: out)
      return (
        "public key \(key.publicKeyBase64) (private key in \(out), mode 600)",
        ["publicKey": key.publicKeyBase64, "file": out]
      )
    }
  }
}

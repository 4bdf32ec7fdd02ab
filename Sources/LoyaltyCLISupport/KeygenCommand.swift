import ArgumentParser
import LedgerFormat

/// `loyalty-hq ledger keygen --out PATH` (HQ's key) and `loyalty-terminal keygen --out PATH` (a
/// terminal's, made on the terminal: its private key never leaves it): a new Ed25519 key file,
/// mode 600.
public struct KeygenCommand: ParsableCommand, JSONReporting {
  public static let configuration = CommandConfiguration(
    commandName: "keygen",
    abstract: "Create a private key file (mode 600) and print its public key.",
    discussion: """
      HQ's key signs the ledger (`loyalty-hq ledger init`); a terminal's, made on the terminal, seals \
      its batches once HQ registers its public key (`loyalty-hq ledger register-terminal`).
      """)

  @Option(help: "Where to write the key (never overwritten).")
  var out: String

  @Flag(help: "Print JSON.")
  var json = false

  public var jsonOutput: Bool { json }

  public init() {}

  public func run() throws {
    try reportLedger(json: json) {
      let key = try LedgerKey.generate(at: out)
      return (
        "public key \(key.publicKeyBase64) (private key in \(out), mode 600)",
        ["publicKey": key.publicKeyBase64, "file": out]
      )
    }
  }
}

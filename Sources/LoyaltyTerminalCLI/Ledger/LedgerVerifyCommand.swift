import ArgumentParser
import Ledger

/// `loyalty-terminal ledger verify`: exit 0 for a clean ledger, 1 naming the first bad line.
struct LedgerVerifyCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "verify", abstract: "Check the chain, the sequence and every seal; name the first bad line.")

  @Option(help: "The ledger file.")
  var ledger: String

  @Flag(help: "Print JSON.")
  var json = false

  func run() throws {
    try report(json: json) {
      do throws(LedgerError) {
        let s = try LedgerVerifier().verify(path: ledger)
        return (
          "ok: \(s.entries) entries in \(s.seals) sealed batches, last seq \(s.lastSeq), \(s.terminals.count) registered terminals",
          [
            "ok": true, "entries": s.entries, "seals": s.seals, "lastSeq": s.lastSeq,
            "terminals": s.terminals.keys.sorted(),
          ]
        )
      } catch {
        throw CommandFailure(reason: "invalidLedger", message: error.line > 0 ? "\(ledger): \(error.description)" : error.description)
      }
    }
  }
}

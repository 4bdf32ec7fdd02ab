import ArgumentParser
import HQClient
import LedgerStore
import Logging
import LoyaltyCLISupport
import LoyaltyCore
import SyncProtocol

/// How a terminal command reaches HQ: HQ's file on this machine (`--ledger`) or HQ's sync service
/// (`--hq`), as this terminal (`--terminal`, `--key`). Shared by `sync` and `look-up`.
struct HQOptions: ParsableArguments {
  @Option(help: "The central ledger file on this machine (the embedded path).")
  var ledger: String?

  @Option(help: "HQ's sync service, http(s)://HOST:PORT (instead of --ledger).")
  var hq: String?

  @Option(help: "PEM file of the CA that signed HQ's TLS certificate (default: the system's CAs).")
  var hqCa: String?

  @Option(help: "Seconds one request may wait on HQ's service (to connect: at most 10).")
  var hqTimeout: Int = 60

  @Option(help: "Attempts per request to HQ's service before giving up (waits 0.5, 2, 5, 15, 30 s between).")
  var hqAttempts: Int = 5

  @Option(help: "This terminal's id.")
  var terminal: String

  @Option(help: "This terminal's private key file (mode 600), registered by HQ.")
  var key: String

  func validate() throws {
    try validateTerminalID(terminal)
    guard (ledger == nil) != (hq == nil) else {
      throw ValidationError("give either --ledger FILE (HQ's file on this machine) or --hq URL (HQ's sync service)")
    }
    if hqCa != nil && hq == nil { throw ValidationError("--hq-ca goes with --hq") }
    guard (1...3600).contains(hqTimeout) else { throw ValidationError("--hq-timeout must be 1 to 3600 seconds") }
    guard (1...10).contains(hqAttempts) else { throw ValidationError("--hq-attempts must be 1 to 10") }
  }

  /// The connection these options name; `remote` is HQ's service when it is one (to close).
  func connection(label: String) throws -> (connection: any LedgerConnection, remote: HQConnection?) {
    guard let hq else { return (LocalLedgerConnection(ledger: LedgerFile(path: ledger ?? "")), nil) }
    let remote = try HQConnection(
      baseURL: hq, trustRoots: hqCa, logger: Logger(label: label) { _ in SwiftLogNoOpLogHandler() },
      clock: { .wallClock }, retry: HQConnection.retryPolicy(attempts: hqAttempts), timeout: .seconds(Int64(hqTimeout)),
      onRetry: { printError("\(label): \($0)") })
    return (remote, remote)
  }
}

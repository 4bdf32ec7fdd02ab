import ArgumentParser
import CounterFirmware
import CounterRuntime
import HQClient
import LedgerFormat
import Logging
import LoyaltyCLISupport
import NightlySync
import PointsCache

/// `run --hq URL --key PATH`: the counter asks HQ's service for a tapped card whose account it
/// does not hold (`LookingUpStorage`), within `--look-up-timeout` seconds; without `--hq` it
/// never does, and such a card earns provisionally.
struct LookUpOptions: ParsableArguments {
  @Option(help: "HQ's sync service, http(s)://HOST:PORT: look up cards this counter does not hold.")
  var hq: String?

  @Option(help: "PEM file of the CA that signed HQ's TLS certificate (default: the system's CAs).")
  var hqCa: String?

  @Option(help: "This terminal's private key file (mode 600), registered by HQ (with --hq).")
  var key: String?

  @Option(help: "Seconds a tap waits on HQ for a look-up before the counter goes on without it (1-30).")
  var lookUpTimeout: Int = 3

  func validate() throws {
    if hq != nil, key == nil { throw ValidationError("--hq needs --key, this terminal's key file") }
    if hq == nil, hqCa != nil || key != nil { throw ValidationError("--hq-ca and --key go with --hq") }
    guard (1...30).contains(lookUpTimeout) else { throw ValidationError("--look-up-timeout must be 1 to 30 seconds") }
  }

  /// The storage the counter runs on: `base`, looking cards up at HQ when `--hq` is given; and
  /// the connection to close when the run ends.
  func storage(_ base: PointsCacheStorage, terminal: String, logger: Logger) throws -> (
    storage: any CounterStorage, connection: HQConnection?
  ) {
    guard let hq, let key else { return (base, nil) }
    // The key before the connection: a key that does not load leaves no connection open.
    let terminalKey = try LedgerKey.load(from: key)
    let connection = try HQConnection(
      baseURL: hq, trustRoots: hqCa, logger: logger, clock: { .wallClock }, retry: .init(waits: []),
      timeout: .seconds(Int64(lookUpTimeout)))
    let lookUp = CardLookUp(
      cache: base.cache, connection: connection, terminal: terminal, key: terminalKey)
    return (
      LookingUpStorage(base: base, logger: logger) { card, at in try await lookUp.run(card: card, at: at) }, connection
    )
  }
}

import ArgumentParser
import Foundation
import HQBackOffice
import HQService
import LedgerFormat
import LedgerStore
import Logging
import LoyaltyCLISupport
import NIOSSL

/// `loyalty-hq serve --ledger FILE --hq-key KEY --listen HOST:PORT [--tls-cert F --tls-key F]`.
struct ServeCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "serve",
    abstract:
      "Serve terminals' nightly syncs: admit their batches, serve the ledger's tail, snapshot, health, metrics.",
    discussion: """
      The service is the ledger's only writer while it runs (HQ's own ledger commands may still \
      append under the writers' lock LEDGER.lock; it reads them in). It holds LEDGER.serve.lock \
      for its whole life: a second loyalty-hq serve on the same ledger refuses to start. It raises its \
      open-files limit to the hard limit and takes at most --max-connections at once (by default \
      what that limit leaves after the ledger's files). SIGTERM or SIGINT: finishes the requests \
      under way, then exits 0. SIGHUP: logged (nothing to reload), the service keeps running. \
      README, section "HQ's sync service".
      """)

  @OptionGroup var file: LedgerFileOption
  var ledger: String { file.ledger }

  @Option(help: "HQ's private key file (mode 600): it seals admitted batches and signs checkpoints.")
  var hqKey: String

  @Option(help: "Where to listen, HOST:PORT (port 0: any free port, printed).")
  var listen: String = "127.0.0.1:8443"

  @Option(help: "TLS certificate chain (PEM); with --tls-key.")
  var tlsCert: String?

  @Option(help: "TLS private key (PEM); with --tls-cert.")
  var tlsKey: String?

  @Option(help: "Log level on stderr.")
  var logLevel: Logger.Level = .info

  @Option(
    help: """
      Connections served at once; more wait until one closes (default: half the open-files limit after 64 \
      for the ledger's files, at most 4096).
      """)
  var maxConnections: Int?

  @Option(help: "Seconds a connection may stay idle (none sent yet, or since its last answer) before HQ closes it.")
  var idleTimeout: Int = 30

  @Option(
    help: "Cards one terminal may look up a minute (GET /v1/account); more are refused until its allowance refills.")
  var lookUpsPerMinute: Int = HQServer.defaultLookUpsPerMinute

  func validate() throws {
    guard endpoint != nil else {
      throw ValidationError("--listen \"\(listen)\" is not HOST:PORT (no scheme; port 0–65535), e.g. 0.0.0.0:8443")
    }
    guard (tlsCert == nil) == (tlsKey == nil) else { throw ValidationError("--tls-cert and --tls-key go together") }
    guard (1...3600).contains(idleTimeout) else { throw ValidationError("--idle-timeout must be 1 to 3600 seconds") }
    guard (1...100_000).contains(lookUpsPerMinute) else {
      throw ValidationError("--look-ups-per-minute must be 1 to 100000")
    }
    if let maxConnections, maxConnections < 1 { throw ValidationError("--max-connections must be at least 1") }
  }

  var endpoint: (host: String, port: Int)? {
    guard !listen.contains("/"), let colon = listen.lastIndex(of: ":"),
      let port = Int(listen[listen.index(after: colon)...]), (0...65535).contains(port), colon > listen.startIndex
    else { return nil }
    return (String(listen[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]")), port)
  }

  func run() async throws {
    let logger = standardErrorLogger("loyalty-hq", level: logLevel)
    let (host, port) = endpoint!
    // The ledger by its real path: a symlink to it names the same lock and companion files
    // (.lock, .serve.lock, .answers, .nonces, .refusals), so it cannot start a second writer.
    let ledger = URL(fileURLWithPath: self.ledger).resolvingSymlinksInPath().path
    let service: HQServer
    var tls: TLSConfiguration?
    let connections: Int
    do {
      // One writer: a second service on this ledger stops here, before anything is read.
      try LedgerFile(path: ledger).holdServeLock()
      let descriptors = DescriptorLimit.raiseToHard()
      connections = try DescriptorLimit.connections(asked: maxConnections, limit: descriptors)
      logger.info(
        "descriptors", metadata: ["openFilesLimit": "\(descriptors)", "maxConnections": "\(connections)"])
      let key = try LedgerKey.load(from: hqKey)
      if let tlsCert, let tlsKey {
        let chain: [NIOSSLCertificate]
        let privateKey: NIOSSLPrivateKey
        do { chain = try NIOSSLCertificate.fromPEMFile(tlsCert) } catch {
          throw ValidationError("--tls-cert \(tlsCert) is not a readable PEM certificate chain (\(error))")
        }
        do { privateKey = try NIOSSLPrivateKey(file: tlsKey, format: .pem) } catch {
          throw ValidationError("--tls-key \(tlsKey) is not a readable PEM private key (\(error))")
        }
        guard !chain.isEmpty else { throw ValidationError("--tls-cert \(tlsCert) holds no certificate") }
        tls = TLSConfiguration.makeServerConfiguration(
          certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(privateKey))
      }
      logger.info("loading the ledger", metadata: ["ledger": "\(ledger)"])
      service = HQServer(
        ledger: try HQLedger(file: LedgerFile(path: ledger), hqKey: key, logger: logger), logger: logger,
        clock: { .wallClock }, lookUpsPerMinute: lookUpsPerMinute)
    } catch {
      printError("loyalty-hq serve: \((error as? ValidationError)?.message ?? "\(FailureMessage(error))")")
      throw ExitCode(1)
    }
    let scheme = tls == nil ? "http" : "https"
    let app = try service.application(
      host: host, port: port, tls: tls, maxConnections: connections, idleTimeout: .seconds(idleTimeout)
    ) { bound in
      // One line on stdout once bound (with port 0, the port chosen): scripts and tests wait for it.
      FileHandle.standardOutput.write(Data("listening on \(scheme)://\(host):\(bound)\n".utf8))
    }
    // SIGHUP (a terminal hanging up, or an operator expecting a reload) must not end the
    // service: there is nothing to reload, so it says so and keeps serving.
    signal(SIGHUP, SIG_IGN)
    let hangup = DispatchSource.makeSignalSource(signal: SIGHUP)
    hangup.setEventHandler { [logger] in
      logger.notice("SIGHUP: nothing to reload; still serving (restart loyalty-hq serve to change its options)")
    }
    hangup.resume()
    defer { hangup.cancel() }
    do {
      try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint])
    } catch {
      let text = "\(error)"
      if text.contains("Address already in use") || text.contains("EADDRINUSE") || text.contains("errno: 98") {
        printError(
          "loyalty-hq serve: --listen \(listen) is in use (another loyalty-hq serve? pick another port with --listen)")
      } else {
        printError("loyalty-hq serve: cannot serve on \(host):\(port): \(FailureMessage(error))")
      }
      throw ExitCode(1)
    }
    let lastSeq = await service.ledger.committed.lastSeq
    logger.info("stopped", metadata: ["lastSeq": "\(lastSeq)"])
  }
}

import ArgumentParser
import Foundation
import HQBackOffice
import LedgerFormat
import LedgerStore
import Logging
import LoyaltyCLISupport
import LoyaltyCore
import NIOSSL
import Notifications

/// `loyalty-hq ledger notify --ledger FILE --webhook URL [--secret-file FILE] [--ca-file PEM]
/// [--header 'Name: value']… [--state FILE] [--as-of TIME]`.
struct LedgerNotifyCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "notify",
    abstract: "Send customer events to a webhook: points earned, points expiring soon, inactive accounts.",
    discussion: """
      Run nightly after the syncs. Each event is a JSON POST with an Idempotency-Key, retried with \
      back-off; the state file remembers what was read and delivered, so nothing is sent twice and \
      what the endpoint did not take is sent on the next run (exit 1 until then). Payloads name the \
      account and a card's last four characters, never a full card number. With --secret-file each \
      request carries Loyalty-Signature: t=UNIX,v1=HEX, HEX the HMAC-SHA256 of "UNIX.BODY" under the \
      secret (the endpoint recomputes it and refuses a t more than 5 minutes off).
      """)

  @OptionGroup var file: LedgerFileOption
  var ledger: String { file.ledger }

  @Option(help: "Where to POST the events (http:// or https://).")
  var webhook: String

  @Option(help: "A file (mode 600, this user's) holding the secret the requests are signed with (HMAC-SHA256).")
  var secretFile: String?

  @Option(help: "A PEM file of the CA that signed the endpoint's certificate (a private CA); default the system's.")
  var caFile: String?

  @Option(help: "A header for every request, 'Name: value' (an endpoint's token); repeatable.")
  var header: [String] = []

  @Option(help: ArgumentHelp("The time requests are signed at (UTC); default now.", visibility: .hidden))
  var signedAt: UTCInstant?

  @Option(help: "The notifier's state file (default: LEDGER.notify-state.json).")
  var state: String?

  @Option(
    help: ArgumentHelp(
      "HQ's secret (mode 600) that keys the customer references events name cardholders by (default: "
        + "LEDGER.customer-key, created on the first run: back it up with HQ's key)."))
  var customerKey: String?

  @Option(help: "The time standing events are computed at (UTC); default now.")
  var asOf: UTCInstant?

  @Option(help: "Attempts per event before keeping it for the next run (waits 0.2, 1, 3 s between).")
  var attempts: Int = 4

  @Flag(help: "Print JSON.")
  var json = false

  func validate() throws {
    guard let url = URL(string: webhook), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
      throw ValidationError("--webhook \"\(webhook)\" is not an http:// or https:// URL")
    }
    guard (1...4).contains(attempts) else { throw ValidationError("--attempts must be 1 to 4") }
    for text in header {
      do { _ = try WebhookHeader(parsing: text) } catch { throw ValidationError(error.description) }
    }
  }

  func run() async throws {
    var pending = 0
    try await reportLedger(json: json) {
      // The operator's files are checked first: a bad one stops the run before anything is created.
      let signature = try secretFile.map { path throws(LedgerError) in try WebhookSignature.load(from: path) }
      let headers = try header.map { text throws(LedgerError) in try WebhookHeader(parsing: text) }
      let tls = try TLSConfiguration.webhookClient(caFile: caFile)
      let keyPath = customerKey ?? CustomerReferences.defaultPath(ledger: ledger)
      let (references, created) = try CustomerReferences.load(from: keyPath, create: customerKey == nil)
      if created {
        printError("notify: created \(keyPath), the key of the customer references: back it up with HQ's key")
      }
      var notifier = WebhookNotifier(
        ledger: ledger, webhook: webhook, statePath: state ?? ledger + ".notify-state.json", references: references,
        logger: Logger(label: "notify") { StreamLogHandler.standardError(label: $0) },
        clock: { [signedAt] in signedAt ?? .wallClock })
      notifier.retry = WebhookNotifier.retryPolicy(attempts: attempts)
      notifier.signature = signature
      notifier.headers = headers
      notifier.tls = tls
      let outcome = try await notifier.run(asOf: asOf ?? .wallClock)
      pending = outcome.pending
      let counts = NotificationEvent.Kind.allCases.map { "\(outcome.delivered[$0] ?? 0) \($0.rawValue)" }
      var text = "notify: delivered " + counts.joined(separator: ", ")
      if let failure = outcome.failure { text += "\n  \(outcome.pending) events kept for the next run: \(failure)" }
      return (
        text,
        [
          "delivered": Dictionary(uniqueKeysWithValues: outcome.delivered.map { ($0.key.rawValue, $0.value) }),
          "pending": outcome.pending, "failure": outcome.failure ?? "",
        ]
      )
    }
    if pending > 0 { throw ExitCode(1) }
  }
}

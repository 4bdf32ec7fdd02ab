import AsyncHTTPClient
import Foundation
import HQBackOffice
import HTTPRetry
import LedgerFormat
import Logging
import LoyaltyCore
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import NIOSSL

/// What the notifier remembers between runs (a JSON file): how far it has read the ledger, the
/// events found but not yet delivered, and the standing events (expiring points, inactivity)
/// already delivered — so nothing is sent twice and nothing is skipped when the endpoint was down.
public struct NotifierState: Codable, Sendable {
  public var lastSeq: Int64 = 0
  public var pending: [NotificationEvent] = []
  public var delivered: Set<String> = []

  public init() {}
}

/// Delivers HQ's notification events to a webhook: each a JSON POST with its id as
/// `Idempotency-Key`, retried with back-off (`retry`, the policy HQ's client uses too); the state file is rewritten (atomically) before
/// anything is sent and after each delivery. Redirects are not followed: a 3xx is a failed
/// delivery, so cardholder payloads never go to a URL the operator did not give. With a secret,
/// each attempt is signed (`WebhookSignature`) at the clock's time; `headers` are added to every
/// request (an endpoint's token), and `tls` may trust a private CA.
public struct WebhookNotifier {
  public let ledger: String
  public let webhook: String
  public let statePath: String
  public let logger: Logger
  /// Attempts per event and the waits between them (by default 4, waiting 0.2, 1 and 3 s).
  public var retry = WebhookNotifier.retryPolicy(attempts: 4)
  public var signature: WebhookSignature?
  public var headers: [WebhookHeader] = []
  public var tls = TLSConfiguration.makeClientConfiguration()
  /// The time each attempt is signed at: an input (the command line gives the wall clock, or
  /// `--signed-at`); the notifier never reads a clock of its own.
  public let clock: @Sendable () -> UTCInstant

  /// How cardholders are named to the endpoint (HQ's keyed references).
  public let references: CustomerReferences

  public init(
    ledger: String, webhook: String, statePath: String, references: CustomerReferences, logger: Logger,
    clock: @escaping @Sendable () -> UTCInstant
  ) {
    self.references = references
    self.ledger = ledger
    self.webhook = webhook
    self.statePath = statePath
    self.logger = logger
    self.clock = clock
  }

  /// The waits between attempts at one event, in order.
  public static let defaultBackoff: [Duration] = [.milliseconds(200), .seconds(1), .seconds(3)]

  /// The notifier's retry policy: `attempts` in all (1 to 4), waiting `defaultBackoff` between them.
  public static func retryPolicy(attempts: Int) -> RetryPolicy {
    RetryPolicy(waits: Array(defaultBackoff.prefix(attempts - 1)))
  }

  /// What a run did.
  public struct Outcome: Sendable {
    public var delivered: [NotificationEvent.Kind: Int] = [:]
    /// Events kept for the next run (the endpoint did not take them).
    public var pending: Int = 0
    public var failure: String?
  }

  public func run(asOf: UTCInstant) async throws -> Outcome {
    var state = try load()
    state.pending = state.pending.map { $0.referenced(by: references) }
    let found = try LedgerNotifications.events(
      path: ledger, after: state.lastSeq, asOf: asOf, references: references)
    var queued = Set(state.pending.map(\.id))
    for event in found.events where !queued.contains(event.id) && !state.delivered.contains(event.id) {
      state.pending.append(event)
      queued.insert(event.id)
    }
    state.lastSeq = found.lastSeq
    try save(state)  // found events are remembered before any is sent
    var outcome = Outcome()
    let client = HTTPClient(
      eventLoopGroupProvider: .singleton,
      configuration: .init(
        tlsConfiguration: tls, redirectConfiguration: .disallow,
        timeout: .init(connect: .seconds(2), read: .seconds(20))))
    do {
      while let event = state.pending.first {
        if let failure = await deliver(event, with: client) {
          outcome.failure = failure
          break
        }
        state.pending.removeFirst()
        if event.type != .pointsEarned { state.delivered.insert(event.id) }
        try save(state)
        outcome.delivered[event.type, default: 0] += 1
      }
    } catch {
      try? await client.shutdown()
      throw error
    }
    try? await client.shutdown()
    outcome.pending = state.pending.count
    return outcome
  }

  /// Why one attempt at an event failed.
  enum DeliveryFailure: Error, CustomStringConvertible {
    /// The endpoint answered this status (not 2xx, not a redirect).
    case status(Int)
    /// A redirect: never followed, never retried.
    case redirect(Int, location: String?)
    /// No answer (the network, TLS, a timeout), in the HTTP client's words.
    case transport(any Error)

    var description: String {
      switch self {
      case .status(let code), .redirect(let code, _): "HTTP \(code)"
      case .transport(let error): "\(error)"
      }
    }
  }

  /// Posts one event, retrying; nil when the endpoint took it (2xx), else why not.
  func deliver(_ event: NotificationEvent, with client: HTTPClient) async -> String? {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    guard let body = try? encoder.encode(event) else { return "cannot encode \(event.id)" }
    let retry = retry
    do {
      try await retry.run(
        isRetryable: { error in
          switch error as? DeliveryFailure {
          case .status(let code): retry.isRetryable(status: code)
          case .transport: true
          // A redirect will not change on a retry either, and is never followed.
          case .redirect, nil: false
          }
        },
        onRetry: { [logger] in
          logger.notice("delivery failed; retrying", metadata: ["event": "\(event.id)", "error": "\($0.error)"])
        },
        operation: { _ in
          var request = HTTPClientRequest(url: webhook)
          request.method = .POST
          request.headers.add(name: "Content-Type", value: "application/json")
          request.headers.add(name: "Idempotency-Key", value: event.id)
          for header in headers { request.headers.add(name: header.name, value: header.value) }
          if let signature {
            request.headers.add(name: WebhookSignature.header, value: signature.value(body: body, at: clock().seconds))
          }
          request.body = .bytes(ByteBuffer(data: body))
          let response: HTTPClientResponse
          do {
            response = try await client.execute(request, timeout: .seconds(30))
            _ = try? await response.body.collect(upTo: 1 << 20)
          } catch { throw DeliveryFailure.transport(error) }
          let code = Int(response.status.code)
          if (200..<300).contains(code) { return }
          if (300..<400).contains(code) {
            throw DeliveryFailure.redirect(code, location: response.headers.first(name: "Location"))
          }
          throw DeliveryFailure.status(code)
        })
      return nil
    } catch let exhausted as RetryExhausted {
      return "\(webhook) did not take \(event.id) after \(exhausted.attempts) attempts (\(exhausted.last))"
    } catch DeliveryFailure.redirect(let code, let location) {
      return "\(webhook) answered \(code) redirect\(location.map { " to \($0)" } ?? "") for \(event.id); webhooks "
        + "do not follow redirects: give the final URL (--webhook)"
    } catch let failure as DeliveryFailure {
      // A 4xx other than 408/429 will not change on a retry.
      return "\(webhook) refused \(event.id): \(failure)"
    } catch {
      return "\(webhook) did not take \(event.id) (\(error))"
    }
  }

  func load() throws -> NotifierState {
    guard let data = FileManager.default.contents(atPath: statePath) else { return NotifierState() }
    do { return try JSONDecoder().decode(NotifierState.self, from: data) } catch {
      throw LedgerError(line: 0, "\(statePath) is not a notifier state file: \(error)")
    }
  }

  func save(_ state: NotifierState) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    try encoder.encode(state).write(to: URL(fileURLWithPath: statePath), options: .atomic)
  }
}

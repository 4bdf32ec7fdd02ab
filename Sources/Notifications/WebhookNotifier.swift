import AsyncHTTPClient
import Foundation
import HQBackOffice
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
/// `Idempotency-Key`, retried with back-off; the state file is rewritten (atomically) before
/// anything is sent and after each delivery. Redirects are not followed: a 3xx is a failed
/// delivery, so cardholder payloads never go to a URL the operator did not give. With a secret,
/// each attempt is signed (`WebhookSignature`) at the clock's time; `headers` are added to every
/// request (an endpoint's token), and `tls` may trust a private CA.
public struct WebhookNotifier {
  public let ledger: String
  public let webhook: String
  public let statePath: String
  public let logger: Logger
  public var backoff: [Duration] = [.milliseconds(200), .seconds(1), .seconds(3)]
  public var signature: WebhookSignature?
  public var headers: [WebhookHeader] = []
  public var tls = TLSConfiguration.makeClientConfiguration()
  /// The time each attempt is signed at: an input (the command line gives the wall clock, or
  /// `--signed-at`); the notifier never reads a clock of its own.
  public let clock: @Sendable () -> UTCInstant

  public init(
    ledger: String, webhook: String, statePath: String, logger: Logger, clock: @escaping @Sendable () -> UTCInstant
  ) {
    self.ledger = ledger
    self.webhook = webhook
    self.statePath = statePath
    self.logger = logger
    self.clock = clock
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
    let found = try LedgerNotifications.events(path: ledger, after: state.lastSeq, asOf: asOf)
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

  /// Posts one event, retrying; nil when the endpoint took it (2xx), else why not.
  func deliver(_ event: NotificationEvent, with client: HTTPClient) async -> String? {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    guard let body = try? encoder.encode(event) else { return "cannot encode \(event.id)" }
    var last = ""
    for attempt in 0...backoff.count {
      var request = HTTPClientRequest(url: webhook)
      request.method = .POST
      request.headers.add(name: "Content-Type", value: "application/json")
      request.headers.add(name: "Idempotency-Key", value: event.id)
      for header in headers { request.headers.add(name: header.name, value: header.value) }
      if let signature {
        request.headers.add(name: WebhookSignature.header, value: signature.value(body: body, at: clock().seconds))
      }
      request.body = .bytes(ByteBuffer(data: body))
      do {
        let response = try await client.execute(request, timeout: .seconds(30))
        _ = try? await response.body.collect(upTo: 1 << 20)
        if (200..<300).contains(Int(response.status.code)) { return nil }
        // A redirect will not change on a retry either, and is never followed.
        if (300..<400).contains(Int(response.status.code)) {
          let location = response.headers.first(name: "Location").map { " to \($0)" } ?? ""
          return "\(webhook) answered \(response.status.code) redirect\(location) for \(event.id); webhooks do not "
            + "follow redirects: give the final URL (--webhook)"
        }
        last = "HTTP \(response.status.code)"
        // A 4xx other than 408/429 will not change on a retry.
        if (400..<500).contains(Int(response.status.code)), ![408, 429].contains(Int(response.status.code)) {
          return "\(webhook) refused \(event.id): \(last)"
        }
      } catch {
        last = "\(error)"
      }
      logger.notice("delivery failed; retrying", metadata: ["event": "\(event.id)", "error": "\(last)"])
      if attempt < backoff.count { try? await Task.sleep(for: backoff[attempt]) }
    }
    return "\(webhook) did not take \(event.id) after \(backoff.count + 1) attempts (\(last))"
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

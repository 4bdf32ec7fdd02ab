/// How an HTTP client tries a failed request again: how many attempts, how long it waits between
/// them (a schedule or an exponential back-off, capped, with optional jitter), and which answers
/// are worth another attempt. One value shared by HQ's client (a terminal's sync) and the webhook
/// notifier; the random source and the sleep are inputs, so a test needs neither luck nor time.
public struct RetryPolicy: Sendable {
  /// The waits before the 2nd, 3rd, … attempt.
  public enum Backoff: Sendable, Equatable {
    /// These waits in order; the last repeats when there are more retries than waits.
    case schedule([Duration])
    /// `first`, then each wait `factor` times the one before.
    case exponential(first: Duration, factor: Double)
  }

  /// Attempts in all (at least 1): a request that keeps failing is sent this many times.
  public var maxAttempts: Int
  public var backoff: Backoff
  /// No wait is longer than this.
  public var cap: Duration
  /// 0 (the default): each wait as the back-off says. Above 0 (at most 1): each wait is shortened
  /// by up to that fraction, at random, so clients that failed together do not retry together.
  public var jitter: Double
  /// A number in 0..<1 for the jitter.
  public var random: @Sendable () -> Double
  /// How a wait is waited (a test passes one that returns at once, or records the waits).
  public var sleep: @Sendable (Duration) async throws -> Void
  /// Which HTTP statuses may pass on a later attempt (by default: `transientStatus`).
  public var retryableStatus: @Sendable (Int) -> Bool

  public init(
    maxAttempts: Int, backoff: Backoff, cap: Duration = .seconds(30), jitter: Double = 0,
    random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) },
    sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) },
    retryableStatus: @escaping @Sendable (Int) -> Bool = RetryPolicy.transientStatus
  ) {
    precondition(maxAttempts >= 1, "a retry policy makes at least one attempt")
    precondition((0...1).contains(jitter), "jitter is a fraction of the wait, 0 to 1")
    self.maxAttempts = maxAttempts
    self.backoff = backoff
    self.cap = cap
    self.jitter = jitter
    self.random = random
    self.sleep = sleep
    self.retryableStatus = retryableStatus
  }

  /// `waits.count + 1` attempts with these waits between them (capped at the longest).
  public init(
    waits: [Duration], sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
  ) {
    self.init(maxAttempts: waits.count + 1, backoff: .schedule(waits), cap: waits.max() ?? .zero, sleep: sleep)
  }

  /// A server error (5xx), a request timeout (408) or too many requests (429): the same request
  /// may pass later. Any other 4xx is refused again; a redirect is never retried (nor followed).
  public static let transientStatus: @Sendable (Int) -> Bool = { $0 >= 500 || $0 == 408 || $0 == 429 }

  /// Whether `status` may pass on a later attempt.
  public func isRetryable(status: Int) -> Bool { retryableStatus(status) }

  /// Whether another attempt follows attempt `attempt` (1-based) when it failed.
  public func allowsRetry(after attempt: Int) -> Bool { attempt < maxAttempts }

  /// The wait after failed attempt `attempt` (1-based) before the next: the back-off's, capped,
  /// less its jitter.
  public func delay(after attempt: Int) -> Duration {
    let base: Duration
    switch backoff {
    case .schedule(let waits):
      base = waits.isEmpty ? .zero : waits[min(max(attempt, 1), waits.count) - 1]
    case .exponential(let first, let factor):
      // Stops multiplying once over the cap (no overflow on a long run).
      var wait = first
      var step = 1
      while step < attempt && wait < cap {
        wait = wait * factor
        step += 1
      }
      base = wait
    }
    let capped = min(max(base, .zero), cap)
    guard jitter > 0 else { return capped }
    let r = min(max(random(), 0), 1)
    return capped - capped * (jitter * r)
  }

  /// The waits a request that keeps failing goes through, in order (one fewer than the attempts;
  /// with jitter, one draw of it).
  public var delays: [Duration] { (1..<maxAttempts).map { delay(after: $0) } }

  /// A failed attempt that will be tried again.
  public struct Retry: Sendable {
    /// The attempt that failed (1-based).
    public var attempt: Int
    public var maxAttempts: Int
    /// The wait before the next.
    public var wait: Duration
    public var error: any Error
  }

  /// Runs `operation` (given the attempt's number, 1-based) until it returns, throws an error
  /// `isRetryable` says is final (thrown as is), or the attempts are used up (`RetryExhausted`,
  /// with the last error). `onRetry` is told of each failed attempt before its wait.
  public func run<Value>(
    isRetryable: (any Error) -> Bool, onRetry: (Retry) -> Void = { _ in },
    operation: (_ attempt: Int) async throws -> Value
  ) async throws -> Value {
    var attempt = 1
    while true {
      do { return try await operation(attempt) } catch {
        guard isRetryable(error) else { throw error }
        guard allowsRetry(after: attempt) else { throw RetryExhausted(attempts: attempt, last: error) }
        let wait = delay(after: attempt)
        onRetry(Retry(attempt: attempt, maxAttempts: maxAttempts, wait: wait, error: error))
        try await sleep(wait)
        attempt += 1
      }
    }
  }
}

/// Every attempt failed, the last with `last`.
public struct RetryExhausted: Error, CustomStringConvertible {
  public var attempts: Int
  public var last: any Error
  public init(attempts: Int, last: any Error) {
    self.attempts = attempts
    self.last = last
  }
  public var description: String { "failed after \(attempts) attempt\(attempts == 1 ? "" : "s"): \(last)" }
}

extension Duration {
  /// Seconds as a Double (for a line an operator reads).
  public var secondsValue: Double {
    let c = components
    return Double(c.seconds) + Double(c.attoseconds) / 1e18
  }
}

import HTTPRetry
import Synchronization
import Testing

/// The one retry policy of the HTTP clients: its waits (schedule, exponential, cap, jitter from
/// the given random source), which statuses it retries, and its loop, with a sleep that only
/// records (no test waits).
@Suite("Retry policy")
struct RetryPolicyTests {
  struct Transient: Error {}
  struct Final: Error {}

  /// Records the waits instead of waiting.
  final class Sleeps: Sendable {
    let waits = Mutex<[Duration]>([])
    var recorded: [Duration] { waits.withLock { $0 } }
    var sleep: @Sendable (Duration) async throws -> Void { { [self] d in waits.withLock { $0.append(d) } } }
  }

  @Test func aScheduleRepeatsItsLastWaitUnderTheCap() {
    let policy = RetryPolicy(
      maxAttempts: 6, backoff: .schedule([.milliseconds(500), .seconds(2), .seconds(40)]), cap: .seconds(30))
    #expect(policy.delays == [.milliseconds(500), .seconds(2), .seconds(30), .seconds(30), .seconds(30)])
    #expect(RetryPolicy(waits: [.milliseconds(200), .seconds(1), .seconds(3)]).maxAttempts == 4)
    #expect(RetryPolicy(waits: []).delays.isEmpty)
  }

  @Test func anExponentialBackoffStopsAtTheCap() {
    let policy = RetryPolicy(
      maxAttempts: 60, backoff: .exponential(first: .milliseconds(100), factor: 2), cap: .seconds(1))
    #expect(
      Array(policy.delays.prefix(5)) == [
        .milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(800), .seconds(1),
      ])
    #expect(policy.delays.last == .seconds(1))
  }

  @Test func jitterShortensAWaitByTheRandomFraction() {
    let policy = RetryPolicy(
      maxAttempts: 3, backoff: .schedule([.seconds(2)]), cap: .seconds(10), jitter: 0.5, random: { 0.5 })
    #expect(policy.delay(after: 1) == .milliseconds(1500))
    let none = RetryPolicy(maxAttempts: 3, backoff: .schedule([.seconds(2)]), jitter: 0.5, random: { 0 })
    #expect(none.delay(after: 2) == .seconds(2))
  }

  @Test func transientStatusesAreRetriedOthersAreNot() {
    let policy = RetryPolicy(waits: [.seconds(1)])
    for status in [500, 502, 503, 408, 429] { #expect(policy.isRetryable(status: status), "\(status)") }
    for status in [400, 401, 403, 404, 409, 413, 301, 307] { #expect(!policy.isRetryable(status: status), "\(status)") }
  }

  @Test func theLoopRetriesTransientFailuresWithItsWaits() async throws {
    let sleeps = Sleeps()
    let policy = RetryPolicy(waits: [.milliseconds(500), .seconds(2)], sleep: sleeps.sleep)
    var told: [Int] = []
    let value = try await policy.run(
      isRetryable: { $0 is Transient }, onRetry: { told.append($0.attempt) },
      operation: { attempt in
        if attempt < 3 { throw Transient() }
        return attempt
      })
    #expect(value == 3)
    #expect(told == [1, 2])
    #expect(sleeps.recorded == [.milliseconds(500), .seconds(2)])
  }

  @Test func theLoopStopsAtAFinalFailureOrTheLastAttempt() async {
    let sleeps = Sleeps()
    let policy = RetryPolicy(waits: [.milliseconds(1), .milliseconds(1)], sleep: sleeps.sleep)
    await #expect(throws: Final.self) {
      try await policy.run(isRetryable: { $0 is Transient }, operation: { _ in throw Final() })
    }
    #expect(sleeps.recorded.isEmpty)
    do {
      try await policy.run(isRetryable: { $0 is Transient }, operation: { _ in throw Transient() })
      Issue.record("no error")
    } catch let exhausted as RetryExhausted {
      #expect(exhausted.attempts == 3)
      #expect(exhausted.last is Transient)
    } catch { Issue.record("\(error)") }
    #expect(sleeps.recorded.count == 2)
  }
}

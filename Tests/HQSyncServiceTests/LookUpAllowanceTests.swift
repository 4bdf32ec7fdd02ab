import HQService
import Testing

/// The look-ups a terminal may make a minute: the allowance as a value, on a clock the test sets.
@Suite("A terminal's look-up allowance")
struct LookUpAllowanceTests {
  @Test func aBucketPerTerminalRefillsAtItsRateAndNoFaster() {
    var allowance = LookUpAllowance(perMinute: 3)
    for _ in 0..<3 { #expect(allowance.take("T01", now: 1_000) == nil) }
    // The fourth within the minute waits for a third of a minute's refill.
    #expect(allowance.take("T01", now: 1_000) == 20)
    #expect(allowance.take("T02", now: 1_000) == nil, "another terminal's bucket is its own")
    #expect(allowance.take("T01", now: 1_019) == 1)
    #expect(allowance.take("T01", now: 1_020) == nil)
    // A clock that goes back refills nothing.
    #expect(allowance.take("T01", now: 900) == 20)
    // An hour idle fills the bucket, to its size and no more.
    for _ in 0..<3 { #expect(allowance.take("T01", now: 5_000) == nil) }
    #expect(allowance.take("T01", now: 5_000) != nil)
  }
}

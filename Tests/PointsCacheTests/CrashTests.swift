import Foundation
import LoyaltyCore
import PointsCache
import TestSupport
import Testing

@Suite("A killed terminal loses and doubles nothing")
struct CrashTests {
  /// `earn-loop` (a real child process) is SIGKILLed after a random number of acknowledged earns,
  /// round after round on the same cache file: every acknowledged earn is there exactly once, at
  /// most the one in flight is there unacknowledged, and the cache's invariants hold.
  @Test func sigkillMidEarnLeavesTheCacheConsistent() async throws {
    let f = try CacheFixture()
    let card = "6280001234567895"
    _ = try f.cache.enroll(card: card, referrer: nil, context: CacheFixture.context("T00", "2026-11-02T09:00:00Z"))
    let seed = UInt64.random(in: 0...UInt64.max)
    var rng = SeededGenerator(seed: seed)
    for round in 0..<6 {
      let prefix = "K\(round)-"
      let child = try ChildProcess(
        BuiltProducts.devtools,
        [
          "earn-loop", card, "--count", "100000", "--prefix", prefix, "--cache", f.cache.path, "--terminal",
          "T0\(round)",
          "--at", "2025-0\(round + 1)-01T00:00:00Z",
        ])
      child.killAfter(seconds: 60)
      var lines = child.lines.makeAsyncIterator()
      var acknowledged: [String] = []
      let target = Int.random(in: 1...40, using: &rng)
      while acknowledged.count < target, let line = await lines.next() { acknowledged.append(line) }
      _ = child.stop(with: SIGKILL)
      while let line = await lines.next() { acknowledged.append(line) }  // printed before the kill

      let reopened = try PointsCache(path: f.cache.path)
      #expect(try reopened.consistencyProblems().isEmpty, "round \(round), seed \(seed)")
      let committed = try reopened.history(card: card).map(\.record).filter {
        $0.kind == .earn && ($0.receipt ?? "").split(separator: "/").last?.hasPrefix(prefix) == true
      }.map { String($0.receipt!.split(separator: "/").last!) }
      #expect(Set(committed).count == committed.count, "an earn was doubled (seed \(seed))")
      #expect(Set(acknowledged).isSubset(of: Set(committed)), "an acknowledged earn was lost (seed \(seed))")
      #expect(
        committed.count <= acknowledged.count + 1, "more than the in-flight earn is unacknowledged (seed \(seed))")
    }
  }
}

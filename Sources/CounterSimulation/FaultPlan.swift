import LoyaltyCore

/// How often the swarm injects each fault, in percent per night (per counter where a counter is
/// named), and which nights it does: drawn from the chain's seed, so a seed replays its faults.
public struct FaultPlan: Sendable {
  public var junkBatch = 0
  public var tornTail = 0
  public var lostAnswer = 0
  public var rotateKey = 0
  /// A counter revoked in the evening (its day's sales not synced yet), registered again with a
  /// new key 1–2 nights later.
  public var revoke = 0
  /// The counters sync through HQ's service (a `ChainTransport`), not the file.
  public var viaHQService = false
  /// HQ's service restarts during the night's syncs (with `viaHQService`).
  public var hqRestart = 0
  /// HQ backs up after a night's syncs and, one or two nights later, loses its ledger and
  /// restores that backup before the night's syncs.
  public var restore = 0
  /// A counter is handed a tampered state delta before its night's sync.
  public var tamperedDelta = 0
  /// The night HQ publishes a new program version with a return window, and its days; when
  /// `formatTwoWindow` is set, the version is of format 2 with that tier window.
  public var publishProgram: (day: Int, pendingDays: Int, formatTwoWindow: Int?)?

  public init() {}

  /// The faults of a chain of `terminals` over `days`, drawn with their own generator (the
  /// traffic's draws do not move when a fault is added).
  func schedule(terminals: [String], days: Int, seed: UInt64) -> FaultSchedule {
    var rng = SplitMix64(seed: seed ^ 0x5EED_FA17)
    // Faults added later draw from generators of their own: a seed's earlier faults stay put.
    var tamperRng = SplitMix64(seed: seed ^ 0x7A3B_E2ED)
    var schedule = FaultSchedule()
    for day in 0..<days {
      func chance(_ percent: Int) -> Bool { rng.next() % 100 < UInt64(percent) }
      let revoked = schedule.closed(on: day)
      if let p = publishProgram, p.day == day {
        schedule.add(day, 7 * 3600, .publishProgram(pendingDays: p.pendingDays, formatTwoWindow: p.formatTwoWindow))
      }
      for t in terminals where !revoked.contains(t) && day > 0 && day + 1 < days && chance(revoke) {
        // Revoked after closing, before the night's sync; registered again 1–2 nights later,
        // before that night's sync.
        let back = min(days - 1, day + 1 + Int(rng.next() % 2))
        schedule.add(day, 21 * 3600, .fault(.revoke(t)))
        schedule.add(back, 22 * 3600 + 1_800, .fault(.reregister(t)))
        schedule.revocations.append((t, day, back))
      }
      // Drawn only when planned: the other faults of a seed stay where they were.
      if restore > 0, day + 2 < days, !schedule.restoring(on: day), chance(restore) {
        let back = day + 1 + Int(rng.next() % 2)
        schedule.add(day, 23 * 3600 + 1_800, .fault(.backup))
        schedule.add(back, 22 * 3600 + 3_550, .fault(.restore))
        schedule.restores.append((day, back))
      }
      let unsynced = schedule.unsynced(on: day)
      for t in terminals where !unsynced.contains(t) && chance(rotateKey) {
        schedule.add(day, 22 * 3600 + 2_400, .fault(.rotateKey(t)))
      }
      // Junk before the night's syncs, or after them (then every counter's next basis is past it).
      if chance(junkBatch) {
        schedule.add(day, rng.next() % 2 == 0 ? 22 * 3600 + 3_000 : 23 * 3600 + 1_800, .fault(.junkBatch))
      }
      // The torn tail last before the syncs: the next writer cuts it.
      if chance(tornTail) { schedule.add(day, 22 * 3600 + 3_300, .fault(.tornTail)) }
      if viaHQService && chance(hqRestart) { schedule.add(day, 22 * 3600 + 3_400, .fault(.hqRestart)) }
      for t in terminals where !unsynced.contains(t) && chance(lostAnswer) {
        schedule.add(day, 22 * 3600 + 3_500, .fault(.lostAnswer(t)))
      }
      if tamperedDelta > 0 {
        for t in terminals where !unsynced.contains(t) && tamperRng.next() % 100 < UInt64(tamperedDelta) {
          schedule.add(day, 22 * 3600 + 3_520, .fault(.tamperedDelta(t)))
        }
      }
    }
    return schedule
  }
}

/// A chain's faults by night, and the days each revoked counter is out of service.
struct FaultSchedule {
  private var byDay: [Int: [(seconds: Int64, action: ChainEvent.Action)]] = [:]
  /// A counter revoked on `from`, registered again in the evening of `back`.
  var revocations: [(terminal: String, from: Int, back: Int)] = []
  /// A backup taken on `from`, restored on `back`.
  var restores: [(from: Int, back: Int)] = []

  /// Whether a backup taken earlier is restored on or after `day` (one at a time).
  func restoring(on day: Int) -> Bool { restores.contains { ($0.from...$0.back).contains(day) } }

  mutating func add(_ day: Int, _ seconds: Int64, _ action: ChainEvent.Action) {
    byDay[day, default: []].append((seconds, action))
  }

  /// Counters out of service on `day`: revoked, and not registered again before the day's
  /// traffic (they record nothing while revoked, so nothing they record is a stolen counter's).
  func closed(on day: Int) -> Set<String> {
    Set(revocations.filter { ($0.from + 1...$0.back).contains(day) }.map(\.terminal))
  }

  /// Counters that cannot sync on the night of `day` (registered again that evening, they can).
  func unsynced(on day: Int) -> Set<String> {
    Set(revocations.filter { ($0.from..<$0.back).contains(day) }.map(\.terminal))
  }

  func events(on day: Int, dayStart: UTCInstant) -> [ChainEvent] {
    (byDay[day] ?? []).map { ChainEvent(at: dayStart.adding(seconds: $0.seconds), action: $0.action) }
  }
}

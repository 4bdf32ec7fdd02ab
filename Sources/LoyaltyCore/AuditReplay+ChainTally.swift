extension AuditReplay {
  /// The counts HQ's audit holds the program's chain-wide bounds on (`CounterLimits+ChainBounds`):
  /// every card's earns per UTC day and every referrer's bonuses per UTC day, over the entries
  /// accepted so far in ledger order, whichever terminal wrote them. The admission and every
  /// reader's fold take the same entries in the same order, so they count alike and refuse alike.
  ///
  /// Bounded in memory: only the days a terminal may still date an entry on are kept. Each
  /// registered terminal is pinned at the later of its registration and its latest own seal (the
  /// audit refuses its entries dated more than a day before that seal); a revoked one stays pinned
  /// until the audit's horizon passes its revocation (until then it may still send what it decided
  /// before, and HQ may register it again). The first day counted is the day before the earliest
  /// pin, and it only moves forward. Earlier days are forgotten (the referrer bonuses of the
  /// `referralPeriodDaysRange.upperBound - 1` days before it are kept for the windows that reach
  /// back), and a bounded entry dated before it is refused: nothing can pass a bound by being
  /// dated on a forgotten day.
  struct ChainTally: Sendable {
    /// Earns per UTC day, per card.
    private var earns: [Int64: [String: Int]] = [:]
    /// Referrer bonuses per UTC day, per referrer account.
    private var referrerBonuses: [Int64: [String: Int]] = [:]
    /// Each registered terminal's pin: the later of its registration and its latest own seal.
    private var pins: [String: UTCInstant] = [:]
    /// Revoked terminals still pinned, with their revocation's seq.
    private var revokedAt: [String: Int64] = [:]
    /// The first UTC day whose earns are still counted.
    private(set) var firstDay: Int64 = .min

    /// The referrer bonuses kept: the days of the longest window a program may set.
    static let referralDays = ProgramParser.referralPeriodDaysRange.upperBound

    /// Counts an accepted entry: an earn on its card's day, a referrer's bonus on its day.
    mutating func note(_ e: Entry) {
      let day = e.at.day
      guard day >= firstDay else { return }
      if e.kind == .earn, let card = e.card {
        earns[day, default: [:]][card, default: 0] += 1
      } else if e.isReferrerBonus, let referrer = e.account {
        referrerBonuses[day, default: [:]][referrer, default: 0] += 1
      }
    }

    /// The earns of `card` accepted on UTC day `day`.
    func earns(of card: String, on day: Int64) -> Int { earns[day]?[card] ?? 0 }

    /// The referrer bonuses `referrer` got on the days of `window`.
    func referrerBonuses(of referrer: String, in window: ClosedRange<Int64>) -> Int {
      window.reduce(0) { $0 + (referrerBonuses[$1]?[referrer] ?? 0) }
    }

    /// A terminal registered at `time`. One registered again after a revocation, or given a new
    /// key, keeps its pin: what it decided before is still its own.
    mutating func registered(_ terminal: String, at time: UTCInstant) {
      revokedAt[terminal] = nil
      if pins[terminal] == nil { pins[terminal] = time }
    }

    /// A terminal revoked at ledger position `seq`: pinned until the horizon passes it.
    mutating func revoked(_ terminal: String, at seq: Int64) { revokedAt[terminal] = seq }

    /// A batch sealed by `signer` at `time` (its own clock), the audit's horizon then at `horizon`:
    /// moves the signer's pin, unpins the revoked terminals the horizon passed (nothing they
    /// decided before their revocation can be accepted any more), moves the first day counted and
    /// forgets the days before it.
    mutating func sealed(by signer: String, at time: UTCInstant, horizon: Int64) {
      if let pin = pins[signer], time > pin { pins[signer] = time }
      for (terminal, seq) in revokedAt where seq <= horizon {
        revokedAt[terminal] = nil
        pins[terminal] = nil
      }
      guard let earliest = pins.values.min() else { return }
      let first = earliest.adding(days: -1).day
      guard first > firstDay else { return }
      firstDay = first
      earns = earns.filter { $0.key >= first }
      let kept = first - Self.referralDays + 1
      referrerBonuses = referrerBonuses.filter { $0.key >= kept }
    }
  }

  /// Why the chain-wide bounds of `program` (the one the entry was decided under) refuse `e`, a
  /// terminal's entry its decision re-derived, on the chain as accepted so far; or nil.
  func chainBoundProblem(_ e: Entry, program: LoyaltyProgram) -> String? {
    let day = e.at.day
    let first = chainTally.firstDay
    do throws(RuleError) {
      if e.kind == .earn, let card = e.card, program.limits.maxEarnsPerCardPerDay != nil {
        guard day >= first else { return forgotten(day, "earns", first) }
        try CounterLimits.checkDailyEarns(
          earnsThatDay: chainTally.earns(of: card, on: day), card: card, day: day, in: program)
      } else if e.isReferrerBonus, let referrer = e.account,
        let window = CounterLimits.referrerWindow(endingOn: day, in: program)
      {
        guard day >= first else { return forgotten(day, "referrer bonuses", first) }
        try CounterLimits.checkReferrerBonus(
          bonusesInWindow: chainTally.referrerBonuses(of: referrer, in: window), referrer: referrer, window: window,
          in: program)
      }
    } catch {
      return "beyond a chain-wide bound of the program, on the chain as admitted so far: \(error.message)"
    }
    return nil
  }

  private func forgotten(_ day: Int64, _ what: String, _ first: Int64) -> String {
    "dated \(CounterLimits.date(day)), before the first day whose \(what) the audit still counts "
      + "(\(CounterLimits.date(first)): a day before the earliest registered terminal's latest batch), "
      + "so no chain-wide bound could hold on it"
  }
}

extension Entry {
  /// A referral bonus paid to the referrer (not the referee's own, whose account is its `ref`).
  public var isReferrerBonus: Bool { kind == .referralBonus && account != nil && account != ref }
}

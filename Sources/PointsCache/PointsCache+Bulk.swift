import GRDB
import LoyaltyCore

extension PointsCache {
  /// Enrols many cards in one transaction (a terminal's first load, benchmarks): each through the
  /// core's enrolment decision and reducer, as `enroll` does, with the statements prepared once.
  /// Already known cards are skipped. Returns how many were added.
  @discardableResult
  public func bulkEnroll(cards: some Sequence<String>, context c: OperationContext) throws -> Int {
    try pool.write { db in
      let program = try program(db)
      var added = 0
      var set = CacheWorkingSet()
      var entries: [Entry] = []
      for card in cards {
        guard try cardFacts(db, card) == nil else { continue }
        let entry = try Decisions.enroll(card: card, known: nil, referrer: nil, context: c)
        set.track(AccountState(id: entry.account!), isNew: true)
        entries.append(entry)
        added += 1
        // Bounded memory: write every 1 000 cards.
        if entries.count == 1_000 {
          try record(db, entries, operator: c.operator, origin: .local, program: program, into: set)
          set = CacheWorkingSet()
          entries = []
        }
      }
      try record(db, entries, operator: c.operator, origin: .local, program: program, into: set)
      try audit(db, c, "bulk enroll", subject: "\(added) cards", detail: "")
      return added
    }
  }
}

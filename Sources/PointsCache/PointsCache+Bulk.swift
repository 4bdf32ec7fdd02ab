import GRDB
import LoyaltyCore

extension PointsCache {
  /// Enrols many cards in one transaction (a terminal's first load, benchmarks); each gets its
  /// account, card and enrolment entry exactly as `enroll` would make them. Already known cards
  /// are skipped. Returns how many were added.
  @discardableResult
  public func bulkEnroll(cards: some Sequence<String>, context c: OperationContext) throws -> Int {
    try pool.write { db in
      let insertAccount = try db.makeStatement(
        sql: "INSERT OR IGNORE INTO account (id, enrolledAt, referralSettled, balance, deficit) VALUES (?, ?, 0, 0, 0)")
      let insertCard = try db.makeStatement(
        sql: "INSERT OR IGNORE INTO card (id, accountId, blocked, linkedAt) VALUES (?, ?, 0, ?)")
      let insertEntry = try db.makeStatement(
        sql: """
          INSERT OR IGNORE INTO entry (id, kind, at, terminal, operator, accountId, card, points, origin, synced)
          VALUES (?, 'enroll', ?, ?, ?, ?, ?, 0, 'local', 0)
          """)
      var added = 0
      for card in cards {
        try Identities.validateCard(card)
        let account = Identities.accountID(enrolledWith: card)
        try insertAccount.execute(arguments: [account, c.at.seconds])
        try insertCard.execute(arguments: [card, account, c.at.seconds])
        added += db.changesCount
        try insertEntry.execute(
          arguments: [
            Identities.enrollmentEntryID(account: account), c.at.seconds, c.terminal, c.operator, account, card,
          ])
      }
      try audit(db, c, "bulk enroll", subject: "\(added) cards", detail: "")
      return added
    }
  }
}

import Foundation
import GRDB
import LoyaltyCore
import PointsCache
import TestSupport
import Testing

/// `loyalty-terminal check`: a row changed outside the sync — two accounts' states swapped, one
/// account's state copied into another's row — is found by hashing every state against the epoch
/// the replica is at (the nightly sync checks only what a delta changes).
@Suite("A cache changed by hand is found by its check")
struct CacheCheckTests {
  func check(_ path: String) throws -> (status: Int32, output: String, errors: String) {
    try runToCompletion(BuiltProducts.loyaltyTerminal, ["check", "--cache", path])
  }

  @Test func statesSwappedOrCopiedBetweenRowsAreFoundAndAnHonestCacheIsConsistent() async throws {
    let f = try ChainFixture(terminals: 2)
    for t in f.terminals { try await f.sync(t, at: ChainFixture.start.adding(seconds: 60)) }
    for c in 0..<3 { try StateReplicaTests().earn(f, "T01", card: c, receipt: "R\(c)", seconds: Int64(c) * 100) }
    try await f.sync("T01", at: ChainFixture.start.adding(days: 1))
    try await f.sync("T02", at: ChainFixture.start.adding(days: 1).adding(seconds: 60))
    let path = f.cachePath("T02")
    let honest = try check(path)
    #expect(honest.status == 0, "\(honest.errors)")
    #expect(honest.output.contains("consistent; its 3 account states give epoch"), "\(honest.output)")
    let (a, b) = (
      Identities.accountID(enrolledWith: ChainFixture.cards[0]),
      Identities.accountID(enrolledWith: ChainFixture.cards[1])
    )
    for tampering in [
      // Swapped: each row holds the other's state.
      "UPDATE account SET state = CASE id WHEN '\(a)' THEN (SELECT state FROM account WHERE id = '\(b)') ELSE (SELECT state FROM account WHERE id = '\(a)') END WHERE id IN ('\(a)', '\(b)')",
      // Copied: one account's state in another's row.
      "UPDATE account SET state = (SELECT state FROM account WHERE id = '\(b)') WHERE id = '\(a)'",
    ] {
      let copy = path + ".tampered"
      try? FileManager.default.removeItem(atPath: copy)
      try f.cache("T02").backup(to: copy)
      let queue = try DatabaseQueue(path: copy)
      try await queue.write { db in try db.execute(sql: tampering) }
      try queue.close()
      #expect(try PointsCache(path: copy).replicaProblem()?.contains("do not give epoch") == true)
      let found = try check(copy)
      #expect(found.status != 0)
      #expect(found.errors.contains("a row was changed outside the sync"), "\(found.errors)")
    }
  }
}

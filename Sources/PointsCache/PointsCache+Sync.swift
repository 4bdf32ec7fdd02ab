import Foundation
import GRDB
import LoyaltyCore

/// What applying a sync did to the cache.
public struct SyncApplication: Sendable {
  /// Account states applied.
  public var applied: Int
  /// This terminal's entries HQ vouched it holds, now marked synced.
  public var markedSynced: Int
  /// Accounts left overdrawn (offline redemptions at several terminals): account → balance.
  public var overdrawn: [String: Int64]
  /// Accounts the delta did not name set again from their base (this terminal's entries HQ
  /// refused or took, and after a bootstrap the accounts HQ does not know).
  public var rebuilt: Int
  /// Accounts that left a partial replica (their days in the region ran out).
  public var left = 0
}

/// Where a sync leaves the cache: the ledger verifier's state (JSON) and its position.
public struct SyncPosition: Sendable {
  public var state: String
  public var offset: Int64
  public var lastSeq: Int64
  public var head: String
  /// Whether the ledger registers this terminal with its key (it records nothing until it does).
  public var registered: Bool

  public init(state: String, offset: Int64, lastSeq: Int64, head: String, registered: Bool) {
    self.state = state
    self.offset = offset
    self.lastSeq = lastSeq
    self.head = head
    self.registered = registered
  }
}

extension PointsCache {
  /// The sync checkpoint (the ledger verifier's state, as JSON), or nil before the first sync.
  public func syncCheckpoint() throws -> String? {
    try pool.read { db in try String.fetchOne(db, sql: "SELECT state FROM checkpoint WHERE id = 1") }
  }
}

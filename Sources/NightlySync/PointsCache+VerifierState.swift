import Foundation
import LedgerFormat
import PointsCache

extension PointsCache {
  /// Where this cache's last sync left it in HQ's ledger (the verifier's state kept with its
  /// checkpoint, HQ's pinned key among it), or nil before its first sync.
  public func verifierState() throws -> LedgerVerifier.State? {
    try syncCheckpoint().map { try JSONDecoder().decode(LedgerVerifier.State.self, from: Data($0.utf8)) }
  }

  /// Whether the replica's epoch is HQ-signed: the counter syncs over HQ's service, so every
  /// answer it keeps from HQ (a look-up's too) must be signed.
  public func epochIsHQSigned() throws -> Bool {
    try replicaPosition().flatMap { try? JSONDecoder().decode(StateEpoch.self, from: Data($0.epoch.utf8)) }?
      .signature != nil
  }
}

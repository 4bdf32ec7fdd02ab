import Foundation
import LedgerFormat
import PointsCache

extension PointsCache {
  /// Where this cache's last sync left it in HQ's ledger (the verifier's state kept with its
  /// checkpoint, HQ's pinned key among it), or nil before its first sync.
  public func verifierState() throws -> LedgerVerifier.State? {
    try syncCheckpoint().map { try JSONDecoder().decode(LedgerVerifier.State.self, from: Data($0.utf8)) }
  }
}

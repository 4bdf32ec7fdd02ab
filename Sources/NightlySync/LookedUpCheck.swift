import Foundation
import LedgerFormat
import LoyaltyCore
import PointsCache
import SyncProtocol

/// The accounts a counter looked up since its last sync, checked against what HQ answered: each
/// kept answer is this terminal's, for its card and current basis, signed by the HQ key the cache
/// pinned — required when the replica's epoch is signed, i.e. the counter syncs over HQ's service
/// (over the embedded file path an answer carries no signature: the terminal's own audit of HQ's
/// file vouched for it) — and holds exactly the state the counter decides on beneath its own
/// entries. `loyalty-terminal check` runs it; so does the swarm after each look-up.
public enum LookedUpCheck {
  /// What is wrong, one line each; empty when every look-up is HQ's.
  public static func problems(in cache: PointsCache) throws -> [String] {
    let lookedUp = try cache.lookedUp()
    guard !lookedUp.isEmpty else { return [] }
    let terminal = try cache.owner() ?? ""
    let state = try cache.verifierState()
    // A replica whose epoch HQ signed syncs over HQ's service: its look-ups came signed too.
    let signedPath = try cache.epochIsHQSigned()
    var problems: [String] = []
    for (account, kept) in lookedUp.sorted(by: { $0.key < $1.key }) {
      guard kept.basis == state?.lastSeq else {
        problems.append("look-up of \(account): on basis \(kept.basis), not this counter's (\(state?.lastSeq ?? 0))")
        continue
      }
      let answer: AccountLookup
      do { answer = try JSONDecoder().decode(AccountLookup.self, from: Data(kept.answer.utf8)) } catch {
        problems.append("look-up of \(account): HQ's answer kept with it does not read: \(error)")
        continue
      }
      if signedPath, answer.signature == nil {
        problems.append("look-up of \(account): HQ's answer kept with it is not signed, where HQ signs every answer")
        continue
      }
      do {
        let vouched = try answer.checked(
          terminal: terminal, card: kept.card, basis: kept.basis,
          hqKey: answer.signature == nil ? nil : state?.hqKey)
        if vouched != kept.state { problems.append("look-up of \(account): its state is not the one HQ answered") }
      } catch { problems.append("look-up of \(account): \(error)") }
    }
    return problems
  }
}

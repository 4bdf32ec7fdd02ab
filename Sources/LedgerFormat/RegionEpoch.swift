import LoyaltyCore

/// One region's part of HQ's epochs: its members (the accounts active there within its days), the
/// digest of their states and their points outstanding.
struct RegionEpoch: Sendable {
  var members: Set<String> = []
  var digest = StateDigest()
  var liability: Int64 = 0

  /// What happens to one account in the region at an epoch.
  enum Move: Sendable {
    /// It stays a member and its state changed.
    case changed(String)
    case joined(String)
    case left(String)
  }

  /// The moves of `candidates` (accounts changed, or members whose days may have run out), with
  /// the liability checked: `updates` are the changed accounts' new seeds and balances, `held` the
  /// old ones. Nothing changes here; `apply` makes the moves.
  func moves(
    of candidates: Set<String>, region: String, in fold: LedgerFold, held: [String: StateEpochs.Held],
    updates: [String: (seed: StateDigest.Seed, balance: Int64)]
  ) throws(LedgerError) -> [Move] {
    var out: [Move] = []
    var liability = self.liability
    for id in candidates {
      let was = members.contains(id)
      let isMember = fold.accounts[id] != nil && fold.regionDay(id, region: region) != nil
      let old = held[id]?.balance ?? 0
      let new = updates[id]?.balance ?? old
      switch (was, isMember) {
      case (true, true) where updates[id] != nil:
        liability = try StateEpochs.add(try StateEpochs.add(liability, -old), new)
        out.append(.changed(id))
      case (true, false):
        liability = try StateEpochs.add(liability, -old)
        out.append(.left(id))
      case (false, true):
        liability = try StateEpochs.add(liability, new)
        out.append(.joined(id))
      default: break
      }
    }
    return out
  }

  /// Makes `moves` (from `moves(of:…)` on the same `held` and `updates`).
  mutating func apply(
    _ moves: [Move], held: [String: StateEpochs.Held], updates: [String: (seed: StateDigest.Seed, balance: Int64)]
  ) {
    for move in moves {
      switch move {
      case .changed(let id):
        guard let old = held[id], let new = updates[id] else { continue }
        digest.combine(StateDigest.expand(seed: old.seed), subtracting: true)
        digest.combine(StateDigest.expand(seed: new.seed), subtracting: false)
        liability &+= new.balance &- old.balance
      case .joined(let id):
        guard let h = updates[id].map({ StateEpochs.Held(seed: $0.seed, balance: $0.balance) }) ?? held[id] else {
          continue
        }
        digest.combine(StateDigest.expand(seed: h.seed), subtracting: false)
        liability &+= h.balance
        members.insert(id)
      case .left(let id):
        guard let h = held[id] else { continue }
        digest.combine(StateDigest.expand(seed: h.seed), subtracting: true)
        liability &-= h.balance
        members.remove(id)
      }
    }
  }
}

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

    var account: String {
      switch self {
      case .changed(let id), .joined(let id), .left(let id): id
      }
    }
  }

  /// An account's element in a digest (its state's expansion) and its balance.
  typealias Element = (lanes: [UInt16], balance: Int64)

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

  /// Makes one move (from `moves(of:…)`), given the account's element before the epoch (`old`,
  /// nil for an account new to HQ) and after it (`new`, nil when its state did not change): the
  /// caller expands each element once for the whole chain and every region.
  mutating func apply(_ move: Move, old: Element?, new: Element?) {
    switch move {
    case .changed:
      guard let old, let new else { return }
      digest.combine(old.lanes, subtracting: true)
      digest.combine(new.lanes, subtracting: false)
      liability &+= new.balance &- old.balance
    case .joined(let id):
      guard let now = new ?? old else { return }
      digest.combine(now.lanes, subtracting: false)
      liability &+= now.balance
      members.insert(id)
    case .left(let id):
      guard let old else { return }
      digest.combine(old.lanes, subtracting: true)
      liability &-= old.balance
      members.remove(id)
    }
  }
}

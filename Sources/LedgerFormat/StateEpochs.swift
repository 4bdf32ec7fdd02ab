import Foundation
import LoyaltyCore

/// HQ's running account of its epochs over a `LedgerFold`: the digest of every account's state,
/// how many there are and their points outstanding, moved forward in O(accounts changed) — each
/// changed account's previous element is taken out of the digest and its new one put in. HQ's
/// service keeps one beside its fold and advances it after each admission; the embedded file path
/// makes one from the file it folded (the same code, from nothing).
///
/// With regions in the program (`ProgramRegions`), the same for each region's members: the
/// accounts changed, and — when the ledger's day moved — the members whose last entry there fell
/// out of the region's days. A program that redraws the regions draws them afresh.
public struct StateEpochs: Sendable {
  /// Per account: the seed of its state's element in the digest, and its balance.
  struct Held: Sendable {
    var seed: StateDigest.Seed
    var balance: Int64
  }

  public private(set) var digest = StateDigest()
  public private(set) var seq: Int64 = -1
  public private(set) var liability: Int64 = 0
  private var held: [String: Held] = [:]
  /// Each region's members, digest and liability, as drawn on `drawn` at the ledger's `day`.
  private(set) var regions: [String: RegionEpoch] = [:]
  private var drawn: ProgramRegions?
  private var day: Int64 = .min

  public init() {}

  public var accounts: Int { held.count }

  /// Moves to the fold at `state`: the accounts changed since the last epoch (all of them the
  /// first time, or when the audit no longer holds that far back) are re-encoded and re-hashed.
  /// Returns how many. A liability beyond 64 bits is an error and leaves the epochs unchanged.
  @discardableResult
  public mutating func advance(to fold: LedgerFold, at state: LedgerVerifier.State) throws(LedgerError) -> Int {
    let changed: any Collection<String> =
      (seq >= 0 ? fold.audit.changedAccounts(since: seq) : nil) ?? Array(fold.accounts.keys)
    // First what can fail (the sums), then the digests and the seeds change, in place.
    var updates: [String: (seed: StateDigest.Seed, balance: Int64)] = [:]
    updates.reserveCapacity(changed.count)
    var liability = self.liability
    for id in changed {
      guard let account = fold.accounts[id] else { continue }
      let seed = StateDigest.seed(AccountStateEncoding.encode(account))
      let old = held[id]
      if let old {
        if old.seed == seed { continue }
        liability = try Self.add(liability, -old.balance)
      }
      liability = try Self.add(liability, account.balance)
      updates[id] = (seed, account.balance)
    }
    let drawing = fold.program?.regions
    let redraw = drawing != drawn || seq < 0
    // Each region's moves, by account: an account's elements are expanded once, for the chain's
    // digest and every region's.
    var moves: [String: [(region: String, move: RegionEpoch.Move)]] = [:]
    if !redraw, drawing != nil {
      let changedIDs = Set(changed)
      for (name, region) in regions {
        // The ledger's day moved: a member whose days there ran out leaves.
        let candidates = fold.activity.day != day ? changedIDs.union(region.members) : changedIDs
        for move in try region.moves(of: candidates, region: name, in: fold, held: held, updates: updates) {
          moves[move.account, default: []].append((name, move))
        }
      }
    }
    func element(_ h: Held?) -> RegionEpoch.Element? { h.map { (StateDigest.expand(seed: $0.seed), $0.balance) } }
    for (id, u) in updates {
      let old = element(held[id])
      let new = (lanes: StateDigest.expand(seed: u.seed), balance: u.balance)
      if let old { digest.combine(old.lanes, subtracting: true) }
      digest.combine(new.lanes, subtracting: false)
      for (name, move) in moves.removeValue(forKey: id) ?? [] { regions[name]?.apply(move, old: old, new: new) }
    }
    // Members whose state did not change but whose days there ran out.
    for (id, list) in moves {
      let old = element(held[id])
      for (name, move) in list { regions[name]?.apply(move, old: old, new: nil) }
    }
    for (id, u) in updates { held[id] = Held(seed: u.seed, balance: u.balance) }
    self.liability = liability
    if redraw { try self.redraw(drawing, fold: fold) }
    drawn = drawing
    day = fold.activity.day
    seq = state.lastSeq
    return changed.count
  }

  /// Draws every region afresh from the accounts held: O(accounts).
  private mutating func redraw(_ drawing: ProgramRegions?, fold: LedgerFold) throws(LedgerError) {
    var drawn: [String: RegionEpoch] = [:]
    for name in drawing?.shops.keys.sorted() ?? [] { drawn[name] = RegionEpoch() }
    if !drawn.isEmpty {
      for (id, h) in held {
        let memberships = fold.regionDays(id)
        guard !memberships.isEmpty else { continue }
        let element = StateDigest.expand(seed: h.seed)
        for name in memberships.keys {
          drawn[name]?.members.insert(id)
          drawn[name]?.digest.combine(element, subtracting: false)
          let sum = try Self.add(drawn[name]?.liability ?? 0, h.balance)
          drawn[name]?.liability = sum
        }
      }
    }
    regions = drawn
  }

  /// The epoch now, unsigned: the fold's position and program, and these counts.
  public func epoch(_ fold: LedgerFold, at state: LedgerVerifier.State) -> StateEpoch {
    var epoch = StateEpoch(
      seq: state.lastSeq, offset: state.offset, lines: state.lines, head: state.head,
      programVersion: fold.program?.version, programChecksum: fold.programJSON.map(StateDelta.checksum(text:)),
      accounts: accounts, liability: liability, digest: digest.checksum)
    epoch.terminals = state.terminals
    epoch.hqKey = state.hqKey
    if !regions.isEmpty {
      epoch.day = fold.activity.day
      epoch.regions = regions.mapValues {
        StateEpoch.Region(accounts: $0.members.count, liability: $0.liability, digest: $0.digest.checksum)
      }
    }
    return epoch
  }

  static func add(_ a: Int64, _ b: Int64) throws(LedgerError) -> Int64 {
    let (sum, overflow) = a.addingReportingOverflow(b)
    guard !overflow else { throw LedgerError(line: 0, "the points outstanding overflow 64 bits") }
    return sum
  }
}

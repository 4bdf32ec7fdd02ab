import Foundation
import LoyaltyCore

/// HQ's running account of its epochs over a `LedgerFold`: the digest of every account's state,
/// how many there are and their points outstanding, moved forward in O(accounts changed) — each
/// changed account's previous element is taken out of the digest and its new one put in. HQ's
/// service keeps one beside its fold and advances it after each admission; the embedded file path
/// makes one from the file it folded (the same code, from nothing).
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

  public init() {}

  public var accounts: Int { held.count }

  /// Moves to the fold at `state`: the accounts changed since the last epoch (all of them the
  /// first time, or when the audit no longer holds that far back) are re-encoded and re-hashed.
  /// Returns how many. A liability beyond 64 bits is an error and leaves the epochs unchanged.
  @discardableResult
  public mutating func advance(to fold: LedgerFold, at state: LedgerVerifier.State) throws(LedgerError) -> Int {
    let changed: any Collection<String> =
      (seq >= 0 ? fold.audit.changedAccounts(since: seq) : nil) ?? Array(fold.accounts.keys)
    // First what can fail (the sum), then the digest and the seeds change, in place.
    var updates: [(id: String, seed: StateDigest.Seed, balance: Int64, old: Held?)] = []
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
      updates.append((id, seed, account.balance, old))
    }
    for u in updates {
      if let old = u.old { digest.combine(StateDigest.expand(seed: old.seed), subtracting: true) }
      digest.combine(StateDigest.expand(seed: u.seed), subtracting: false)
      held[u.id] = Held(seed: u.seed, balance: u.balance)
    }
    self.liability = liability
    seq = state.lastSeq
    return changed.count
  }

  /// The epoch now, unsigned: the fold's position and program, and these counts.
  public func epoch(_ fold: LedgerFold, at state: LedgerVerifier.State) -> StateEpoch {
    var epoch = StateEpoch(
      seq: state.lastSeq, offset: state.offset, lines: state.lines, head: state.head,
      programVersion: fold.program?.version, programChecksum: fold.programJSON.map(StateDelta.checksum(text:)),
      accounts: accounts, liability: liability, digest: digest.checksum)
    epoch.terminals = state.terminals
    epoch.hqKey = state.hqKey
    return epoch
  }

  static func add(_ a: Int64, _ b: Int64) throws(LedgerError) -> Int64 {
    let (sum, overflow) = a.addingReportingOverflow(b)
    guard !overflow else { throw LedgerError(line: 0, "the points outstanding overflow 64 bits") }
    return sum
  }
}

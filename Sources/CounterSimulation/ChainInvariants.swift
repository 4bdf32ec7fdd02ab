import Foundation
import LedgerFormat
import LedgerStore
import LoyaltyCore

/// The chain's invariants, checked after every night against the ledger and every counter that
/// synced:
/// - the ledger verifies (chain, seals, keys), and leaves out only the batches a fault wrote;
/// - neither the audit nor the admission refuses an honest entry (a refusal only from a terminal
///   the plan made dishonest);
/// - every entry id is in the ledger once, and every entry a counter recorded is in it once
///   that counter has synced (no honest point lost or doubled);
/// - every counter that synced shows the fold's balance for every account;
/// - points are conserved: the balances add up to the points of the entries the fold admitted.
struct ChainInvariants {
  var seed: UInt64
  /// Terminals whose refused entries are expected (the plan tampers with their caches).
  var dishonest: Set<String> = []
  /// Batches the plan wrote past the admission (junk), which every reader must leave out.
  var junkBatches = 0
  /// Referral bonuses the chain's rules refuse by design (docs/ledger-format.md, trust rules): a
  /// card enrolled offline at two shops pays the referral its standing enrolment names, once; the
  /// other shop's bonus is refused and listed with its points and account.
  var contestedReferrals: Set<String> = []

  /// Notes the cards the plan enrols at two counters: their referral bonuses may be refused.
  mutating func contest(cards: some Sequence<String>) {
    for card in cards {
      let account = Identities.accountID(enrolledWith: card)
      for forReferrer in [false, true] {
        contestedReferrals.insert(Identities.referralBonusID(refereeAccount: account, forReferrer: forReferrer))
      }
    }
  }

  struct Violation: Error, CustomStringConvertible {
    var description: String
  }

  /// Checks after a sync of `synced`; returns how many facts were checked.
  func check(_ runner: ScenarioRunner, synced: [String]) throws -> Int {
    func fail(_ m: String) -> Violation { Violation(description: m) }
    var ids: [String: Int] = [:]
    var fold = LedgerFold()
    var admittedPoints: Int64 = 0
    do {
      _ = try LedgerVerifier.readVerified(
        path: runner.ledgerPath,
        each: { line in
          ids[line.id, default: 0] += 1
          for e in fold.take(line) where e.kind.concernsAnAccount { admittedPoints &+= e.entry.points ?? 0 }
        }, excluded: { fold.exclude($0) })
    } catch {
      throw fail("the ledger does not verify: \(error)")
    }
    var checks = 1
    if let r = fold.audit.refusals.first(where: {
      !dishonest.contains($0.terminal) && !contestedReferrals.contains($0.id)
    }) {
      throw fail("the audit refused \(r.id) of \(r.terminal) (seq \(r.seq)): \(r.reason)")
    }
    if fold.exclusions.count > junkBatches, let x = fold.exclusions.last {
      throw fail("the audit left out lines \(x.firstLine)-\(x.sealLine), beyond the plan's junk: \(x.reason)")
    }
    if let (id, n) = ids.first(where: { $0.value > 1 }) { throw fail("entry \(id) is in the ledger \(n) times") }
    let total = fold.accounts.values.reduce(Int64(0)) { $0 &+ $1.balance }
    checks += 1
    guard total == admittedPoints else {
      throw fail("points not conserved: the balances add up to \(total), the admitted entries to \(admittedPoints)")
    }
    for t in synced {
      let cache = runner.cache(t)
      let outbox = try cache.outbox()
      checks += 1
      guard outbox.isEmpty || dishonest.contains(t) else {
        throw fail("\(t) synced but still holds \(outbox.count) unsent entries, first \(outbox[0].id)")
      }
      // Refused at the admission: never in the ledger, so the audit lists nothing; the counter does.
      if !dishonest.contains(t), let r = try cache.refusedByHQ().first(where: { !contestedReferrals.contains($0.id) }) {
        throw fail("HQ refused \(t)'s \(r.id): \(r.reason)")
      }
      for id in try cache.localEntryIds() {
        checks += 1
        guard ids[id] == 1 || dishonest.contains(t) else {
          throw fail("\(t) recorded \(id), which the ledger holds \(ids[id] ?? 0) times")
        }
      }
      // A replica of HQ's states: exactly the fold's accounts, whole (lots, cards, receipts,
      // referral), at an epoch whose digest, count and liability the states give; its rows HQ's
      // states with nothing of this counter's on top, and no other counter's entry kept.
      // A counter in a region holds exactly the region's members (the accounts with an entry
      // there within the region's days at the ledger's day).
      checks += 1
      let replica = try cache.replicaStates()
      let region = fold.program?.regions?.region(of: t)
      let held = region.map { r in fold.accounts.filter { fold.regionDay($0.key, region: r) != nil } } ?? fold.accounts
      if !dishonest.contains(t), replica != held {
        let differs = Set(replica.keys).union(held.keys).sorted().first { replica[$0] != held[$0] }
        throw fail(
          "\(t)'s replica\(region.map { " of region \($0)" } ?? "") differs from the fold at account \(differs ?? "?")")
      }
      guard let position = try cache.replicaPosition() else { throw fail("\(t) synced but holds no epoch") }
      var digest = StateDigest()
      for state in replica.values { digest.add(AccountStateEncoding.encode(state)) }
      checks += 1
      guard position.digest == digest, position.accounts == replica.count,
        position.liability == replica.values.reduce(Int64(0), { $0 &+ $1.balance })
      else { throw fail("\(t)'s epoch \(position.seq) does not match the states it holds") }
      checks += 1
      if let problem = try cache.consistencyProblems().first { throw fail("\(t): \(problem)") }
      // A look-up lasts until the sync: none survives it.
      checks += 1
      if let account = try cache.lookedUp().keys.min() { throw fail("\(t) still holds its look-up of \(account)") }
      // The product's own check of the whole replica (`loyalty-terminal check`) agrees.
      checks += 1
      if let problem = try cache.replicaProblem() { throw fail("\(t): \(problem)") }
      checks += 1
      let foreign = try cache.foreignEntryCount(terminal: t)
      if foreign > 0 {
        throw fail("\(t) keeps \(foreign) entries of other terminals")
      }
      let shown = try cache.balances()
      for (account, state) in fold.accounts {
        checks += 1
        // An account outside the counter's region: not shown, or an empty row its journal names.
        if held[account] == nil {
          guard (shown[account] ?? 0) == 0 else {
            throw fail("\(t) shows \(shown[account]!) for \(account), outside its region \(region ?? "?")")
          }
          continue
        }
        guard shown[account] == state.balance else {
          throw fail(
            "\(t) shows \(shown[account].map(String.init) ?? "nothing") for \(account); the ledger says \(state.balance)"
          )
        }
      }
    }
    return checks
  }
}

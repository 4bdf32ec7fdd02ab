import Crypto
import Foundation

/// HQ's audit of the ledger, and the fold every reader shares: each sealed batch is taken in
/// ledger order; every counter entry is re-derived with the core's decisions from the program in
/// force and the account as its terminal knew it — the ledger up to the entry's basis plus that
/// terminal's own earlier entries — and is applied only when it is exactly what the decision
/// gives. What fails is refused, entry by entry, with the reason; nothing refused changes an
/// account. The same code admits a terminal's batch before it is appended and excludes, for every
/// reader alike, what someone wrote past the admission.
///
/// The terminal's view of an account is rebuilt from the state at the *horizon* (the oldest basis
/// any registered terminal may still decide on) and the account's entries after it, so memory
/// holds the accounts plus the entries of the last night or so, not the whole history.
public struct AuditReplay: Sendable {
  /// An entry the audit refused.
  public struct Refusal: Hashable, Sendable {
    public var seq: Int64
    public var id: String
    public var terminal: String
    public var reason: String
  }

  /// Provisional points on a card's own account that no cardholder sees yet.
  public struct ProvisionalHold: Hashable, Sendable {
    public var card: String
    /// The card's own account, where its provisional earns went.
    public var heldOn: String
    /// The account the card was linked to instead; nil while the card is not enrolled anywhere.
    public var belongsTo: String?
    /// The held account's balance: a debt when a refund followed a move.
    public var points: Int64
  }

  /// A card claimed by more than one account (an enrolment and a link, or two links, made offline
  /// at different counters): `stands` is where `CardClaim` puts its points, `others` the accounts
  /// of the other claims (where their own counters' entries on the card go). The cardholder's
  /// points are split; HQ can move them (`ledger adjust`).
  public struct ClaimedTwice: Hashable, Sendable {
    public var card: String
    public var stands: String
    public var others: [String]
  }

  /// Points reversed (or an amount refunded) beyond what a receipt earned: two offline refunds of
  /// one receipt at two counters, both honest, both kept, the excess listed.
  public struct OverReversal: Hashable, Sendable {
    public var receipt: String
    public var account: String
    public var excessPoints: Int64
    public var excessAmount: Int64
  }

  struct Journaled: Sendable {
    var seq: Int64
    var entry: Entry
  }

  /// A terminal's registration that a revocation ended: it decided on bases from `from` (its
  /// registration) up to `until` (the revocation's seq), at times before `before` (the revocation's).
  /// A registration a revocation ended: from its seq until the revocation's, revoked at `before`
  /// and, once HQ registers the terminal again, `resumed` at that registration's time.
  struct Term: Sendable {
    var from: Int64
    var until: Int64
    var before: UTCInstant
    var resumed: UTCInstant?
  }

  struct CardLink: Sendable {
    var account: String
    var seq: Int64
    var terminal: String
    var enrolment: Bool
    /// The basis it was decided on (its seq for HQ's).
    var basis: Int64
  }

  /// Once-only events with deterministic ids (an enrolment, a referral bonus): the same event
  /// wherever it was decided, so every terminal's view holds them once one is in the ledger — a
  /// card enrolled at two counters offline is one enrolment, and the second counter's later
  /// entries on it are audited as it decided them.
  static func isOnceOnly(_ kind: Entry.Kind) -> Bool { kind == .enroll || kind == .referralBonus }

  /// Every account as the accepted entries made it.
  public private(set) var accounts: [String: AccountState] = [:]
  /// Accounts with entries after the horizon: their state at the horizon.
  private(set) var settled: [String: AccountState] = [:]
  private(set) var recent: [String: [Journaled]] = [:]
  /// Entries after the horizon, in ledger order (seq, account), from `pendingStart` on.
  private(set) var pending: [(seq: Int64, account: String)] = []
  private(set) var pendingStart = 0
  public private(set) var horizon: Int64 = 0
  /// Published programs, in ledger order.
  public private(set) var programs: [(seq: Int64, program: LoyaltyProgram, json: String)] = []
  /// Seqs of seals (a basis must be one; a left-out batch's seal is one too), and each
  /// terminal's latest seal time (its own clock).
  private(set) var seals = Set<Int64>()
  private(set) var ownSeal: [String: UTCInstant] = [:]
  private var ids = Set<IDDigest>()
  private(set) var cardLinks: [String: [CardLink]] = [:]
  /// Cards with provisional earns, and the account those earns went to (the card's own).
  private(set) var provisionalCards: [String: String] = [:]
  /// Registered (not revoked) terminals: the seq of their registration.
  private(set) var registered: [String: Int64] = [:]
  /// Registrations a revocation ended, by terminal: what it decided then is still its own.
  private(set) var revokedTerms: [String: [Term]] = [:]
  private(set) var lastBasis: [String: Int64] = [:]
  /// HQ's restores from a backup, in ledger order: the backup's last seq (`point`) and the
  /// restore line's own seq; the seqs between are the lost history's.
  public private(set) var restores: [(point: Int64, seq: Int64)] = []
  /// Terminal entries decided on history a restore lost, taken as recorded (not re-derived).
  public private(set) var takenAsRecorded = 0
  private(set) var redeemed: [String: Int64] = [:]
  /// Points redeemed without a card's signature, by "account|day" (`CardProofPolicy`).
  private(set) var unproven: [String: Int64] = [:]
  public private(set) var refusals: [Refusal] = []
  public private(set) var overReversals: [OverReversal] = []
  /// Entries accepted (seals excluded).
  public private(set) var accepted = 0
  public private(set) var firstDate: UTCInstant?
  /// The counts the program's chain-wide bounds are held on (AuditReplay+ChainTally.swift).
  private(set) var chainTally = ChainTally()

  public init() {}

  /// Entries after the horizon before it moves: memory for speed.
  static let horizonStep = 65_536

  /// The latest published program.
  public var program: LoyaltyProgram? { programs.last?.program }

  /// Whether an entry with this id has been accepted.
  public func contains(id: String) -> Bool { ids.contains(IDDigest(id)) }

  func contains(_ digest: IDDigest) -> Bool { ids.contains(digest) }

  /// Takes one entry of a batch sealed by `signer` at `sealedAt`, at ledger position `seq`:
  /// HQ's entries are applied as they are; a terminal's are audited first. Returns the refusal's
  /// reason, or nil when the entry was accepted and applied. A refusal is kept in `refusals`
  /// when `recording` (an entry in the file); the admission's refusals are never written.
  public mutating func take(_ e: Entry, seq: Int64, signer: String, sealedAt: UTCInstant, recording: Bool = true)
    -> String?
  {
    let reason: String?
    if signer == Entry.hq {
      reason = takeHQ(e, seq: seq)
    } else if !Decisions.Bounds.times.contains(sealedAt) {
      reason = "its batch's seal time \(sealedAt) is outside 2000…2100"
    } else {
      let digest = IDDigest(e.id)
      if let problem = audit(e, seq: seq, sealedAt: sealedAt, digest: digest) {
        reason = problem
      } else {
        reason = accept(e, seq: seq, digest: digest)
      }
      // An entry decided on lost history moves no basis: the terminal's next decisions are on
      // the restored ledger, whatever it had seen before.
      if reason == nil {
        if lostHistory(containing: e.basis ?? 0) == nil {
          lastBasis[e.terminal] = e.basis ?? 0
        } else {
          takenAsRecorded += 1
        }
      }
    }
    if recording, let reason { refusals.append(Refusal(seq: seq, id: e.id, terminal: e.terminal, reason: reason)) }
    return reason
  }

  /// Closes a batch at its seal: remembers the seal (a later basis) and its writer's clock, and
  /// moves the horizon.
  public mutating func sealed(at seq: Int64, time: UTCInstant, by signer: String) {
    seals.insert(seq)
    if signer != Entry.hq, ownSeal[signer].map({ time > $0 }) ?? true { ownSeal[signer] = time }
    advanceHorizon()
    chainTally.sealed(by: signer, at: time, horizon: horizon)
  }

  /// Notes the seal of a batch every reader leaves out (written past the admission): its entries
  /// are in no account, so the ledger up to it is the ledger up to the valid seal before it, and a
  /// terminal whose checkpoint moved past it decides on it (its basis).
  public mutating func leftOut(sealedAt seq: Int64) { seals.insert(seq) }

  private mutating func takeHQ(_ e: Entry, seq: Int64) -> String? {
    switch e.kind {
    case .program:
      guard let json = e.data, let program = try? ProgramParser.parse(Data(json.utf8)) else {
        return "a program that does not parse"
      }
      guard programs.last.map({ program.version > $0.program.version }) ?? true else {
        return "program version \(program.version) does not follow version \(programs.last!.program.version)"
      }
      guard ids.insert(IDDigest(e.id)).inserted else { return "id \(e.id) is already in the ledger" }
      programs.append((seq, program, json))
      return nil
    case .terminalRegister:
      // A new key for a registered terminal (a rotation) keeps its first registration: what it
      // decided before the rotation is still its own.
      if let t = e.ref, registered[t] == nil {
        registered[t] = seq
        chainTally.registered(t, at: e.at)
        if let last = revokedTerms[t]?.indices.last { revokedTerms[t]![last].resumed = e.at }
      }
      advanceHorizon()
      return nil
    case .terminalRevoke:
      if let t = e.ref, let from = registered.removeValue(forKey: t) {
        revokedTerms[t, default: []].append(Term(from: from, until: seq, before: e.at))
        chainTally.revoked(t, at: seq)
      }
      advanceHorizon()
      return nil
    case .restore:
      guard let point = e.data.flatMap({ Int64($0) }), point < seq else {
        return "a restore that does not name the seq it restored to"
      }
      restores.append((point, seq))
      return nil
    case .seal:
      return nil
    case .enroll, .link, .block, .earn, .redeem, .reversal, .referralBonus, .adjustment, .expiry:
      guard Decisions.Bounds.times.contains(e.at) else { return "time \(e.at) is outside 2000…2100" }
      return accept(e, seq: seq)
    }
  }

  /// Applies an entry that passed: to its account (the reducer may still refuse an overflow), to
  /// the journal after the horizon, to the ids and card links.
  private mutating func accept(_ e: Entry, seq: Int64, digest known: IDDigest? = nil) -> String? {
    let digest = known ?? IDDigest(e.id)
    guard !ids.contains(digest) else { return "id \(e.id) is already in the ledger" }
    if let id = e.account, e.kind.concernsAnAccount {
      let existed = accounts[id] != nil
      if e.kind == .reversal, let receipt = e.receipt, let r = accounts[id]?.receipts[receipt] {
        let points = -(e.points ?? 0)
        let excessPoints = max(0, r.reversed &+ points &- r.points)
        let excessAmount = max(0, r.refunded &+ (e.amount ?? 0) &- r.amount)
        if excessPoints > 0 || excessAmount > 0 {
          overReversals.append(
            OverReversal(receipt: receipt, account: id, excessPoints: excessPoints, excessAmount: excessAmount))
        }
      }
      // The state at the horizon, kept while the account has entries after it (shared with the
      // current state until the apply below copies it, once per horizon period).
      if recent[id] == nil { settled[id] = accounts[id] ?? AccountState(id: id) }
      // In place: no copy of the account's receipts and lots per entry.
      do throws(RuleError) {
        try accounts[id, default: AccountState(id: id)].apply(
          e, rules: StateRules(program))
      } catch {
        if !existed { accounts[id] = nil }
        if recent[id] == nil { settled[id] = nil }
        return error.message
      }
      recent[id, default: []].append(Journaled(seq: seq, entry: e))
      pending.append((seq, id))
      if let card = e.card, e.kind == .enroll || e.kind == .link {
        cardLinks[card, default: []].append(
          CardLink(account: id, seq: seq, terminal: e.terminal, enrolment: e.kind == .enroll, basis: e.basis ?? seq))
      }
      if e.isProvisional, let card = e.card { provisionalCards[card] = id }
      if e.kind == .redeem, let card = e.card {
        redeemed["\(e.terminal)|\(card)|\(e.at.day)", default: 0] &+= -(e.points ?? 0)
        if e.proof == nil { unproven["\(id)|\(e.at.day)", default: 0] &+= -(e.points ?? 0) }
      }
    }
    ids.insert(digest)
    chainTally.note(e)
    accepted += 1
    if firstDate == nil || e.at < firstDate! { firstDate = e.at }
    return nil
  }

  /// The horizon: no registered terminal may decide on an older basis (bases only move forward,
  /// and never before a terminal's registration). Entries up to it fold into the settled states.
  private mutating func advanceHorizon() {
    var floor = Int64.max
    for (t, registeredAt) in registered { floor = min(floor, max(lastBasis[t] ?? registeredAt, registeredAt)) }
    if floor == .max { floor = pending.last?.seq ?? horizon }
    // In steps (each account's state at the horizon is copied when it changes after it: a step
    // per batch would copy nearly every account it touches).
    guard floor > horizon, pending.count - pendingStart >= Self.horizonStep || registered.isEmpty else { return }
    horizon = floor
    while pendingStart < pending.count, pending[pendingStart].seq <= horizon {
      let id = pending[pendingStart].account
      pendingStart += 1
      guard var journal = recent[id], !journal.isEmpty else { continue }
      let first = journal.removeFirst()
      if journal.isEmpty {
        recent[id] = nil
        settled[id] = nil
      } else {
        recent[id] = journal
        let then = program(at: first.seq)
        try? settled[id]?.apply(
          first.entry, rules: StateRules(then))
      }
    }
    if pendingStart > 4096, pendingStart * 2 > pending.count {
      pending.removeFirst(pendingStart)
      pendingStart = 0
    }
  }

  /// The program in force at ledger position `seq`.
  public func program(at seq: Int64) -> LoyaltyProgram? {
    var found: LoyaltyProgram?
    for p in programs where p.seq <= seq { found = p.program }
    return found
  }
}

/// 128 bits of SHA-256 of an entry id: the audit's set of ids at a fraction of the strings' memory.
struct IDDigest: Hashable, Sendable {
  let high: UInt64
  let low: UInt64

  init(_ id: String) {
    var digest = SHA256()
    var id = id
    id.withUTF8 { digest.update(bufferPointer: UnsafeRawBufferPointer($0)) }
    let d = digest.finalize()
    var h: UInt64 = 0
    var l: UInt64 = 0
    d.withUnsafeBytes { bytes in
      for i in 0..<8 { h = h << 8 | UInt64(bytes[i]) }
      for i in 8..<16 { l = l << 8 | UInt64(bytes[i]) }
    }
    high = h
    low = l
  }
}

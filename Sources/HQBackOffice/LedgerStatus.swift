import Foundation
import LedgerFormat
import LedgerStore
import LoyaltyCore

/// The chain at a glance, for HQ's operator (`ledger status`): the ledger's size, head and
/// liability, and every terminal HQ ever registered — registered or revoked and since when, its
/// key's fingerprint, its last admitted batch, what the admission refused of it.
///
/// Read-only and lock-free, like every reader: it reads the sealed bytes with `pread` and never
/// takes the writers' lock, so it runs while `hq serve` admits batches (what is appended meanwhile
/// is seen by the next run). The figures are the fold's, the same every reader gets.
public struct LedgerStatus: Sendable {
  /// One terminal as the ledger knows it.
  public struct Terminal: Sendable {
    public var id: String
    /// False once revoked (and not registered again since).
    public var registered: Bool
    /// The time of the registration (or revocation) now in force.
    public var since: UTCInstant
    /// The public key of its latest registration (base64) and its fingerprint.
    public var key: String
    public var fingerprint: String
    /// Its last batch every reader folds: the seal's time, the entries it closes, the seal's seq.
    public var lastBatch: (at: UTCInstant, entries: Int, seq: Int64)?
    /// Entries the admission refused (`LEDGER.refusals`), and when the last was.
    public var refusedAtAdmission: Int
    public var lastRefusal: UTCInstant?
    /// Entries in the file that the audit leaves out (written past the admission).
    public var leftOut: Int
  }

  public var path: String
  /// The file's size in bytes, and the bytes after its last sealed batch (an append killed
  /// midway, which the next writer cuts), if any.
  public var bytes: Int
  public var tornBytes: Int
  public var entries: Int
  public var seals: Int
  public var lines: Int
  public var lastSeq: Int64
  /// SHA-256 (hex) of the last sealed line: what the next line chains to.
  public var head: String
  public var hqKey: String
  public var hqFingerprint: String
  public var accounts: Int
  /// Accounts with a positive balance: those the liability is owed to.
  public var accountsInCredit: Int
  /// The sum of positive balances (what the chain owes its customers, as `ledger report` says)
  /// and, of it, the points still in their return window at `asOf`.
  public var pointsLiability: Int64
  public var pending: Int64
  /// Points owed by overdrawn accounts (a positive number).
  public var overdrawn: Int64
  public var asOf: UTCInstant
  /// The program in force (its version), if one is published.
  public var programVersion: Int?
  /// Terminals by id.
  public var terminals: [Terminal]
  /// Admission refusals of HQ's own commands.
  public var refusedHQ: Int
  /// The program's regions (partial replicas): each one's terminals, and its members now — the
  /// accounts a terminal of it recorded an entry on within `regionDays` of the ledger's `day` —
  /// with their points (Σ balances): what each of its terminals holds.
  public var regions: [Region] = []
  public var regionDays: Int?
  public var day: Int64?

  /// One region of the program in force.
  public struct Region: Sendable {
    public var name: String
    public var terminals: [String]
    public var members: Int
    public var points: Int64
  }

  /// Reads `path` once (verified and audited as every reader does) and the refusals file next to it.
  public static func read(path: String, asOf: UTCInstant) throws(LedgerError) -> LedgerStatus {
    var fold = LedgerFold()
    var terminals: [String: Terminal] = [:]
    var tail = LedgerVerifier.Tail.clean
    let state = try LedgerVerifier.readVerified(
      path: path, tail: &tail,
      each: { line in
        if line.kind == .seal, line.terminal != Entry.hq, let count = line.count {
          terminals[line.terminal]?.lastBatch = (line.at, count, line.seq)
        }
        for e in fold.take(line) where e.terminal == Entry.hq {
          guard let id = e.ref else { continue }
          if e.kind == .terminalRegister, let key = e.data {
            let last = terminals[id]?.lastBatch
            terminals[id] = Terminal(
              id: id, registered: true, since: e.at, key: key, fingerprint: LedgerKey.fingerprint(ofPublicKey: key),
              lastBatch: last, refusedAtAdmission: 0, lastRefusal: nil, leftOut: 0)
          } else if e.kind == .terminalRevoke, terminals[id]?.registered == true {
            terminals[id]!.registered = false
            terminals[id]!.since = e.at
          }
        }
      }, excluded: { fold.exclude($0) })
    var info = stat()
    guard stat(path, &info) == 0 else {
      throw LedgerError(line: 0, "cannot read ledger \(path): \(String(cString: strerror(errno)))")
    }
    let refusals = RefusalLog(ledger: path).countsByTerminal()
    for (id, r) in refusals where terminals[id] != nil {
      terminals[id]!.refusedAtAdmission = r.count
      terminals[id]!.lastRefusal = r.last
    }
    for r in fold.audit.refusals { terminals[r.terminal]?.leftOut += 1 }
    let legacy = fold.program?.pendingDays ?? 0
    var liability: Int64 = 0
    var pending: Int64 = 0
    var overdrawn: Int64 = 0
    var inCredit = 0
    for account in fold.accounts.values {
      if account.balance > 0 {
        inCredit += 1
        liability = liability.addingReportingOverflow(account.balance).partialValue
        pending = pending.addingReportingOverflow(account.pending(at: asOf, legacyPendingDays: legacy)).partialValue
      } else {
        overdrawn = overdrawn.addingReportingOverflow(-account.balance).partialValue
      }
    }
    let hqKey = state.hqKey ?? ""
    var torn = 0
    if case .torn(let bytes, _, _) = tail { torn = bytes }
    var regions: [String: Region] = [:]
    for (name, shops) in fold.program?.regions?.shops ?? [:] {
      regions[name] = Region(name: name, terminals: shops.sorted(), members: 0, points: 0)
    }
    if !regions.isEmpty {
      for (id, account) in fold.accounts {
        for name in fold.regionDays(id).keys {
          regions[name]?.members += 1
          regions[name]?.points &+= account.balance
        }
      }
    }
    var status = LedgerStatus(
      path: path, bytes: Int(info.st_size), tornBytes: torn, entries: state.entries, seals: state.seals,
      lines: state.lines, lastSeq: state.lastSeq, head: state.head, hqKey: hqKey,
      hqFingerprint: LedgerKey.fingerprint(ofPublicKey: hqKey), accounts: fold.accounts.count,
      accountsInCredit: inCredit,
      pointsLiability: liability, pending: pending, overdrawn: overdrawn, asOf: asOf,
      programVersion: fold.program?.version, terminals: terminals.values.sorted { $0.id < $1.id },
      refusedHQ: refusals[Entry.hq]?.count ?? 0)
    status.regions = regions.values.sorted { $0.name < $1.name }
    status.regionDays = fold.program?.regions?.days
    status.day = regions.isEmpty ? nil : fold.activity.day
    return status
  }
}

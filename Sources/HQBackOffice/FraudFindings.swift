import LedgerFormat
import LoyaltyCore

/// HQ's fraud findings over a period of its ledger (`ledger findings`): what each detector of
/// `FraudFinding.Kind` reports of the entries HQ's audit accepted, with the entries behind each
/// finding, under the thresholds of the program in force at the ledger's end (its `fraud`
/// object, or the defaults).
///
/// A detector sees what the ledger holds and nothing else: no operator (entries name the
/// terminal), no basket beyond its lines, no card that was presented but not recorded. A finding
/// is a pattern for a person to look into, not a proof; `FraudBlocks` turns one into HQ's block of
/// the suspect cards.
public struct FraudFindings: Sendable {
  /// The findings, by kind (in `Kind`'s order), then by their first entry's place in the ledger.
  public var findings: [FraudFinding]
  /// The thresholds they were found under.
  public var thresholds: LoyaltyProgram.FraudThresholds
  /// The period read, [from, until); either end open when nil.
  public var from: UTCInstant?
  public var until: UTCInstant?

  /// The finding with this id, or nil.
  public func finding(_ id: String) -> FraudFinding? { findings.first { $0.id == id } }

  /// Reads HQ's ledger file (verified and audited as every reader does; lock-free, so it runs
  /// beside `hq serve`) and runs every detector over [from, until). Facts from before the
  /// period — a home shop, an account's last entry, a receipt's earn — come from the whole ledger.
  public static func read(path: String, from: UTCInstant?, until: UTCInstant?) throws(LedgerError) -> FraudFindings {
    var fold = LedgerFold()
    var ledger = FraudLedger(from: from, until: until)
    _ = try LedgerVerifier.readVerified(
      path: path,
      each: { line in
        // Only what the audit accepts is read: a refused or excluded entry moved no point.
        for e in fold.take(line) { ledger.take(e, in: fold) }
      }, excluded: { fold.exclude($0) })
    ledger.finish(program: fold.program)
    return FraudFindings(ledger)
  }

  /// Every detector's findings over `ledger`.
  public init(_ ledger: FraudLedger) {
    findings = FraudFinding.Kind.allCases.flatMap { kind in
      kind.detect(ledger).sorted { ($0.entries.first?.seq ?? 0, $0.id) < ($1.entries.first?.seq ?? 0, $1.id) }
    }
    thresholds = ledger.thresholds
    from = ledger.from
    until = ledger.until
  }
}

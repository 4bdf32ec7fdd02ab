import LedgerFormat

/// HQ's ledger was restored from a backup and this terminal's position is in the history it lost:
/// the terminal goes back to its last sync at or before `mark.point` and syncs again from there.
public struct LedgerRestored: Error, CustomStringConvertible, Sendable {
  public var mark: LedgerVerifier.RestoreMark

  public init(_ mark: LedgerVerifier.RestoreMark) { self.mark = mark }

  public var description: String {
    "HQ's ledger was restored from a backup ending at seq \(mark.point); this terminal synced lines after it that "
      + "HQ lost (its restore line is seq \(mark.seq))"
  }
}

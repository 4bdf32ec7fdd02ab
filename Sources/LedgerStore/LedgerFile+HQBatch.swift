import LedgerFormat
import LoyaltyCore

extension LedgerFile {
  /// HQ's command batch, built on the ledger as it stands and admitted whole: `build` gets the
  /// verified, audited fold and returns the entries (or throws a refusal: an unknown account, an
  /// overdraft); they are admitted all or nothing as `LedgerFile.append` admits them. Under the
  /// writers' lock, so what `build` decided on is what they are appended after.
  ///
  /// `dryRun`: the same entries, built on a lock-free read and each passed through the same
  /// audit on a copy of the fold, with the seqs they would take — nothing is written, no lock is
  /// taken, no torn tail cut. A dry run and the run that follows it (nothing appended between)
  /// give the same entries, but for parts an HQ command draws at random (an adjustment's id).
  public func appendHQ(
    key: LedgerKey, at: UTCInstant, dryRun: Bool, build: (LedgerFold) throws -> [Entry]
  ) throws -> [LedgerEntry] {
    guard dryRun else {
      return try withExclusiveLock { locked in
        var audited = try locked.audited(repairing: true)
        let entries = try build(audited.fold)
        guard !entries.isEmpty else { return [] }
        return try locked.admit(entries, to: &audited, signer: Entry.hq, key: key, at: at, allOrNothing: true).appended
      }
    }
    var fold = LedgerFold()
    var tail = LedgerVerifier.Tail.clean
    let state = try LedgerVerifier.readVerified(
      path: path, tail: &tail, each: { fold.take($0) { _ in } }, excluded: { fold.exclude($0) })
    let entries = try build(fold)
    guard !entries.isEmpty else { return [] }
    guard Decisions.Bounds.times.contains(at) else {
      throw LedgerError(line: 0, "nothing would be appended to \(path): the batch's time \(at) is outside 2000…2100")
    }
    if let problem = LedgerVerifier.signerProblem(
      Entry.hq, key: key.publicKeyBase64, batch: entries.map { LedgerEntry($0) }, hqKey: state.hqKey ?? "",
      terminals: state.terminals)
    {
      throw LedgerError(line: 0, "nothing would be appended to \(path): \(problem.reason)")
    }
    var planned: [LedgerEntry] = []
    for (i, e) in entries.enumerated() {
      let seq = state.lastSeq + Int64(i) + 1
      if let reason = fold.admit(e, seq: seq, signer: Entry.hq, sealedAt: at) {
        throw LedgerError(line: 0, "nothing would be appended to \(path): entry \(e.id) is refused: \(reason)")
      }
      planned.append(LedgerEntry(e, seq: seq))
    }
    return planned
  }
}

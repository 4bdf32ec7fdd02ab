import Foundation
import LedgerFormat
import LedgerStore
import LoyaltyCore
import NightlySync
import ScenarioFormat
import SyncProtocol

/// HQ's acts and the faults the chain swarm injects, on a running chain: each done the way the
/// real actor does it (HQ's commands append through the admission; someone with write access
/// to the file writes bytes; a killed terminal loses what it had not committed).
extension ScenarioRunner {
  /// HQ publishes the chain's program again as the next version, with a return window, and in
  /// format 2 with a tier window of `formatTwoWindow` days when given.
  func publishProgram(pendingDays: Int, formatTwoWindow: Int? = nil) throws {
    let (fold, _) = try LedgerFold.fold(path: ledger.path, sealedOnly: true)
    let version = (fold.program?.version ?? 1) + 1
    var json = scenario.program.replacingOccurrences(of: "\"version\": 1,", with: "\"version\": \(version),")
      .replacingOccurrences(of: "\"expiryDays\": 365,", with: "\"expiryDays\": 365, \"pendingDays\": \(pendingDays),")
    if let formatTwoWindow {
      // In format 2, with lots of two days and a day's return window: the new lots expire within
      // the run, before the older ones, and HQ's expiry must take them and not the older ones.
      json = ChainTraffic.formatTwo(json, tierWindowDays: formatTwoWindow)
        .replacingOccurrences(
          of: "\"expiryDays\": 365, \"pendingDays\": \(pendingDays),", with: "\"expiryDays\": 2, \"pendingDays\": 1,")
    }
    try ledger.append(
      [LedgerEntry(kind: .program, id: "program-\(clock.now.seconds)", at: clock.now, terminal: Entry.hq, data: json)],
      signer: Entry.hq, key: hqKey, at: clock.now)
    narrate(
      "\(clock.now) HQ publishes program version \(version) "
        + (formatTwoWindow.map { "in format 2 (a tier window of \($0) days, lots of 2 days, pendingDays 1)" }
          ?? "with pendingDays \(pendingDays)"))
  }

  /// HQ registers a new key for `terminal` (a rotation, or a registration after a revocation);
  /// the terminal's key file is the new one from now on.
  func register(_ terminal: String) throws {
    let path = workdir.appendingPathComponent("\(terminal)-\(clock.now.seconds).key").path
    let key = try LedgerKey.generate(at: path)
    try ledger.append(
      [
        LedgerEntry(
          kind: .terminalRegister, id: "register-\(terminal)-\(key.publicKeyBase64.prefix(16))", at: clock.now,
          terminal: Entry.hq, ref: terminal, data: key.publicKeyBase64)
      ], signer: Entry.hq, key: hqKey, at: clock.now)
    keys[terminal] = key
    narrate("\(clock.now) HQ registers a new key for \(terminal)")
  }

  func revoke(_ terminal: String) throws {
    try ledger.append(
      [
        LedgerEntry(
          kind: .terminalRevoke, id: "revoke-\(terminal)-\(clock.now.seconds)", at: clock.now, terminal: Entry.hq,
          ref: terminal)
      ], signer: Entry.hq, key: hqKey, at: clock.now)
    narrate("\(clock.now) HQ revokes \(terminal)")
  }

  /// Someone with write access to HQ's file (and no registered key) appends a sealed batch: one
  /// earn of a million points on an account of theirs, sealed by a terminal nobody registered.
  /// Returns false, writing nothing, when the file ends torn: junk glued to half a line is a
  /// damaged file, which no reader can go past (HQ restores it), not junk every reader leaves out.
  func appendJunkBatch() throws -> Bool {
    var tail = LedgerVerifier.Tail.clean
    let state = try LedgerVerifier.readVerified(path: ledger.path, tail: &tail, each: { _ in })
    guard tail == .clean else { return false }
    let junk = LedgerKey(privateKey: .init())
    let earn = LedgerEntry(
      Entry(
        kind: .earn, id: "junk-\(clock.now.seconds)", at: clock.now, terminal: "X99", account: "acct-junk",
        card: "6280009999999999", points: 1_000_000, basis: state.lastSeq),
      seq: state.lastSeq + 1, prev: state.head)
    let line = LedgerLine.encode(earn)
    var seal = LedgerEntry(
      seq: state.lastSeq + 2, kind: .seal, id: "seal-\(state.lastSeq + 2)", at: clock.now, terminal: "X99", count: 1,
      key: junk.publicKeyBase64, prev: LedgerLine.hash(Array(line.utf8)))
    seal.sig = junk.signature(for: Data(LedgerLine.encode(seal).utf8)).base64EncodedString()
    try appendBytes(line + "\n" + LedgerLine.encode(seal) + "\n")
    narrate("\(clock.now) someone appends a junk batch to HQ's file")
    return true
  }

  /// A writer killed mid-append: the file ends with half a line.
  func tearTail() throws {
    let half = "{\"seq\":\(Int.max),\"kind\":\"earn\",\"id\":\"torn-\(clock.now.seconds)\",\"at\":"
    try appendBytes(half)
    narrate("\(clock.now) a writer dies mid-append: HQ's file ends torn")
  }

  /// HQ admits `terminal`'s outbox; the terminal dies before it applies the answer, and restarts.
  func loseAnswer(_ terminal: String) throws {
    let cache = self.cache(terminal)
    func exchange() throws -> Int {
      let state = try cache.verifierState()
      let outbox = try cache.outbox()
      _ = try LocalLedgerConnection(ledger: ledger).exchangeNow(
        outbox, at: clock.now, after: state ?? LedgerVerifier.State(), terminal: terminal, key: keys[terminal]!,
        now: nil)
      return outbox.count
    }
    let sent: Int
    do { sent = try exchange() } catch let restored as LedgerRestored {
      // HQ restored its ledger since this counter's last sync: it goes back first, as a sync does.
      _ = try cache.rewind(toAtMost: restored.mark.point, at: clock.now)
      sent = try exchange()
    }
    try crash(terminal)
    narrate("\(clock.now) \(terminal): HQ admitted \(sent) entries; the counter died before the answer")
  }

  /// HQ backs up its ledger (as `ledger backup` does, the service running).
  func backUp() throws {
    let directory = workdir.appendingPathComponent("backup-\(clock.now.seconds)").path
    let manifest = try LedgerBackup.take(ledger, to: directory, at: clock.now)
    latestBackup = directory
    narrate("\(clock.now) HQ backs up its ledger (seq \(manifest.lastSeq))")
  }

  /// HQ's ledger is lost: restored from the latest backup (as `ledger restore` does), then HQ's
  /// own acts since the backup done again, in order, as the command's list tells the operator.
  func restoreBackup() throws {
    guard let latestBackup else { return }
    let outcome = try LedgerRestore.restore(ledger, from: latestBackup, key: hqKey, at: clock.now, force: false)
    for e in outcome.lostHQEntries {
      try ledger.append([LedgerEntry(e.entry)], signer: Entry.hq, key: hqKey, at: e.at)
    }
    narrate(
      "\(clock.now) HQ restores its ledger to seq \(outcome.point) (lost up to \(outcome.replacedLastSeq ?? -1)); "
        + "\(outcome.lostHQEntries.count) HQ acts done again")
  }

  private func appendBytes(_ text: String) throws {
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: ledger.path))
    defer { try? handle.close() }
    try handle.seekToEnd()
    try handle.write(contentsOf: Data(text.utf8))
  }
}

import Foundation
import LedgerFormat
import LocalFiles
import LoyaltyCore
import SystemPackage

/// Puts a backup back in place of HQ's ledger, with `hq serve` stopped, so that the chain carries
/// on: the ledger as it stands is moved aside (never deleted), the backup's copy takes its place,
/// and an HQ-sealed `restore` line is appended whose seq is past every seq the lost history used.
/// A counter that synced lines HQ lost finds its position between the two, goes back to where it
/// synced before the backup's end, and sends again the entries it recorded since (see
/// `NightlySync`); the audit takes those decided on the lost history as recorded.
public enum LedgerRestore {
  /// What a restore did.
  public struct Outcome: Sendable {
    /// The backup's last seq: the restored ledger's history up to here is unchanged.
    public var point: Int64
    /// The seq of the restore line (nil when the ledger already ended where the backup does).
    public var restoreSeq: Int64?
    /// The last seq of the ledger replaced, when it could be read.
    public var replacedLastSeq: Int64?
    /// Where the replaced ledger and companions were moved.
    public var movedAside: String?
    /// HQ's own entries after the backup (programs, registrations, adjustments…): lost, to do again.
    public var lostHQEntries: [LedgerEntry]
  }

  /// How far the restore line's seq jumps when the replaced ledger cannot be read: past any seq
  /// the lost history can have used.
  static let unknownLostHistory: Int64 = 1 << 32

  /// Restores `backup` (a directory `ledger backup` wrote) as `ledger`, signing with `key`.
  public static func restore(
    _ ledger: LedgerFile, from backup: String, key: LedgerKey, at time: UTCInstant, force: Bool, dryRun: Bool = false
  ) throws(LedgerError) -> Outcome {
    // A dry run changes nothing: it may look while the service runs.
    if dryRun { return try restore(ledger, from: backup, key: key, at: time, force: force, holdingLock: false) }
    let serveLock = try holdServeLockOrRefuse(ledger)
    return try serveLock.closeAfter(
      { () throws(LedgerError) -> Outcome in
        try restore(ledger, from: backup, key: key, at: time, force: force, holdingLock: true)
      },
      closeFailed: {
        LedgerError(line: 0, "\(ledger.path) was restored, but releasing \(ledger.serveLockPath) failed: \($0)")
      })
  }

  /// `restore`, with `hq serve`'s lock held (`holdingLock`) or as a dry run.
  static func restore(
    _ ledger: LedgerFile, from backup: String, key: LedgerKey, at time: UTCInstant, force: Bool, holdingLock: Bool
  ) throws(LedgerError) -> Outcome {
    let dryRun = !holdingLock
    let (manifest, backupState) = try LedgerBackup.verify(backup)
    guard backupState.hqKey == key.publicKeyBase64 else {
      throw LedgerError(
        line: 0, "the backup's ledger has another HQ key in its header than the key given; nothing restored")
    }
    // The ledger as it stands: how far its history went, and HQ's own entries after the backup.
    var replaced: LedgerVerifier.State?
    var lostHQ: [LedgerEntry] = []
    if FileManager.default.fileExists(atPath: ledger.path) {
      var tail = LedgerVerifier.Tail.clean
      replaced = try? LedgerVerifier.readVerified(
        path: ledger.path, tail: &tail,
        each: { e in
          if e.seq > manifest.lastSeq, e.terminal == Entry.hq, e.kind != .seal, e.kind != .restore { lostHQ.append(e) }
        })
      if let replaced, replaced.hqKey != key.publicKeyBase64 {
        throw LedgerError(line: 1, "\(ledger.path) has another HQ key than the backup's; nothing restored")
      }
      if replaced != nil, !force, !extends(ledger.path, backup: backupState) {
        throw LedgerError(
          line: 0,
          "\(ledger.path) does not continue the backup's history (its line \(backupState.lines) is not the backup's "
            + "last line): the backup is of another ledger; nothing restored (--force restores it all the same)")
      }
    }
    let unchanged = replaced.map { $0.lastSeq == backupState.lastSeq && $0.head == backupState.head } ?? false
    // The restore line, past every seq the lost history used, sealed by HQ.
    let jump = replaced.map { max($0.lastSeq, backupState.lastSeq) + 1 } ?? backupState.lastSeq + unknownLostHistory
    if dryRun {
      return Outcome(
        point: backupState.lastSeq, restoreSeq: unchanged ? nil : jump, replacedLastSeq: replaced?.lastSeq,
        movedAside: nil, lostHQEntries: lostHQ)
    }
    let aside = try moveAside(ledger, at: time)
    try putBack(manifest, from: backup, as: ledger, keepingNewerFrom: aside)
    var outcome = Outcome(
      point: backupState.lastSeq, replacedLastSeq: replaced?.lastSeq, movedAside: aside, lostHQEntries: lostHQ)
    if unchanged { return outcome }
    let written: [LedgerEntry]
    do {
      written = try ledger.withExclusiveLock { locked in
        var state = try LedgerVerifier.readVerified(path: ledger.path, each: { _ in })
        let point = state.lastSeq
        state.lastSeq = jump - 1
        let line = LedgerEntry(
          kind: .restore, id: "restore-\(time.seconds)-\(point)", at: time, terminal: Entry.hq, data: "\(point)")
        return try locked.append([line], after: &state, signer: Entry.hq, key: key, at: time)
      }
    } catch let error as LedgerError {
      throw error
    } catch {
      throw LedgerError(line: 0, "\(error)")
    }
    outcome.restoreSeq = written.first?.seq
    return outcome
  }

  /// Whether the ledger at `path` holds the backup's history: the same HQ key, and the backup's
  /// last line where the backup ends (the check a counter makes of its checkpoint).
  static func extends(_ path: String, backup: LedgerVerifier.State) -> Bool {
    (try? LedgerFile(path: path).withExclusiveLock { locked in try locked.checkExtends(backup) }) != nil
  }

  /// Moves the ledger and its companions into `LEDGER.before-restore-TIME/`; nil when there was
  /// no ledger.
  static func moveAside(_ ledger: LedgerFile, at time: UTCInstant) throws(LedgerError) -> String? {
    let names = [""] + LedgerBackup.companions
    guard names.contains(where: { FileManager.default.fileExists(atPath: ledger.path + $0) }) else { return nil }
    let stamp = time.description.replacingOccurrences(of: ":", with: "")
    let aside = ledger.path + ".before-restore-" + stamp
    do { try SystemCall.makeDirectory(aside, permissions: .ownerReadWriteExecute) } catch {
      throw LedgerError(line: 0, "cannot create \(aside): \(error); nothing restored")
    }
    for suffix in names where FileManager.default.fileExists(atPath: ledger.path + suffix) {
      let target = aside + "/" + (ledger.path as NSString).lastPathComponent + suffix
      do { try SystemCall.rename(ledger.path + suffix, to: target) } catch {
        throw LedgerError(line: 0, "cannot move \(ledger.path + suffix) aside: \(error)")
      }
    }
    return aside
  }

  /// Puts the backup's ledger in place, and each companion: from the backup, but for the
  /// nonces, notification state and refusal log when newer ones were moved `aside` (only the
  /// answers must match the restored ledger).
  static func putBack(
    _ manifest: LedgerBackup.Manifest, from backup: String, as ledger: LedgerFile, keepingNewerFrom aside: String?
  ) throws(LedgerError) {
    let name = (ledger.path as NSString).lastPathComponent
    for suffix in [""] + LedgerBackup.companions {
      if !suffix.isEmpty, suffix != ".answers", let aside,
        FileManager.default.fileExists(atPath: aside + "/" + name + suffix)
      {
        _ = try LedgerBackup.copy(from: aside + "/" + name + suffix, bytes: nil, to: ledger.path + suffix, mode: 0o600)
      } else if let file = manifest.files.first(where: { $0.name == manifest.ledger + suffix }) {
        _ = try LedgerBackup.copy(
          from: backup + "/" + file.name, bytes: file.bytes, to: ledger.path + suffix,
          mode: suffix.isEmpty ? 0o644 : 0o600)
      }
    }
  }

  /// Takes `hq serve`'s lock (so no service starts meanwhile), or refuses while one runs.
  static func holdServeLockOrRefuse(_ ledger: LedgerFile) throws(LedgerError) -> FileDescriptor {
    let fd = try LedgerFile.openLockFile(ledger.serveLockPath)
    return try fd.closeIfThrows { () throws(LedgerError) -> FileDescriptor in
      let held: Bool
      do { held = try fd.tryLock(exclusive: true) } catch {
        throw LedgerError(line: 0, "cannot lock \(ledger.serveLockPath): \(error); nothing restored")
      }
      guard held else {
        throw LedgerError(
          line: 0, "loyalty-hq serve is running on \(ledger.path): stop it first, then restore; nothing restored")
      }
      return fd
    }
  }
}

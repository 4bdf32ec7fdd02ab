import ArgumentParser
import Foundation
import HQClient
import LedgerFormat
import LedgerStore
import LocalFiles
import Logging
import LoyaltyCLISupport
import LoyaltyCore
import NightlySync
import PointsCache
import SyncProtocol

/// `loyalty-terminal sync --cache PATH (--ledger PATH | --hq URL) --terminal ID --key PATH`: the nightly sync.
struct SyncCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "sync",
    abstract:
      "Hand this terminal's entries to the central ledger and take the states of the accounts changed since.")

  @OptionGroup var cache: CacheOptions

  @OptionGroup var hqOptions: HQOptions

  @Option(help: "When (UTC); default now.")
  var at: UTCInstant?

  @Option(help: "Start a fresh cache from this HQ snapshot (then only the accounts changed since are fetched).")
  var snapshot: String?

  @Flag(help: "With --hq: start a fresh cache from HQ's signed snapshot, fetched from the service.")
  var snapshotFromHq = false

  func validate() throws {
    if snapshotFromHq && (hqOptions.hq == nil || snapshot != nil) {
      throw ValidationError("--snapshot-from-hq goes with --hq and without --snapshot")
    }
  }

  func run() async throws {
    // A cache this command creates for a snapshot is removed again if the bootstrap fails: a
    // failed first sync leaves no empty cache behind to be mistaken for a synced one.
    let fresh = (snapshot != nil || snapshotFromHq) && !FileManager.default.fileExists(atPath: cache.cache)
    var bootstrapped = false
    defer {
      if fresh && !bootstrapped {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: cache.cache + suffix) }
      }
    }
    var refusedByHQ = 0
    try await Self.reportSync(json: cache.json) {
      let time = at ?? .wallClock
      // A sync dated ahead would leave the counter unable to record until the clock caught up
      // (nothing is recorded before its last sync), as HQ refuses a seal more than a day ahead.
      if time > UTCInstant.wallClock.adding(days: 1) {
        throw SyncProtocolError(
          "nothing synced: --at \(time) is more than a day ahead of this machine's clock (\(UTCInstant.wallClock)); "
            + "check the time given or the machine's clock")
      }
      let store = try cache.open()
      let terminalKey = try LedgerKey.load(from: hqOptions.key)
      var decoded: LedgerSnapshot?
      if let snapshot {
        let data: Data
        do throws(LocalFileError) { data = try LocalFile.read(snapshot, as: "snapshot", limit: 1 << 30) } catch {
          throw CommandFailure(reason: "unreadableFile", message: error.description)
        }
        decoded = try Self.decodeSnapshot(data, from: snapshot)
      }
      let progress = SyncProgressLine(quiet: cache.json)
      defer { progress.end() }
      let (connection, remote) = try hqOptions.connection(label: "sync")
      let terminal = hqOptions.terminal
      let sync = NightlySync(
        cache: store, connection: connection, terminal: terminal, key: terminalKey, scratch: cache.cache + ".state")
      do {
        if snapshotFromHq, let remote, let hq = hqOptions.hq {
          decoded = try Self.decodeSnapshot(try await remote.snapshot(terminal: terminal, key: terminalKey), from: hq)
        }
        if let decoded { try await sync.bootstrap(from: decoded, at: time) }
        bootstrapped = true
        let summary = try await sync.run(at: time, now: .wallClock, progress: progress.show)
        await remote?.close()
        return try Self.report(summary, &refusedByHQ)
      } catch {
        await remote?.close()
        throw error
      }
    }
    // Synced, but HQ refused some of this terminal's entries (listed above): a nightly job that
    // checks the status sees it.
    if refusedByHQ > 0 { throw ExitCode(3) }
  }

  /// `reportLedger` for the sync: HQ's refusals and protocol errors are one line each.
  static func reportSync(json: Bool, _ body: () async throws -> (text: String, object: [String: Any])) async throws {
    try await reportLedger(json: json) {
      do { return try await body() } catch let error as HQRefusal {
        throw CommandFailure(reason: "hqRefused", message: error.description)
      } catch let error as HQClientError {
        throw CommandFailure(reason: "sync", message: error.description)
      } catch let error as SyncProtocolError {
        throw CommandFailure(reason: "sync", message: error.description)
      } catch let error as StateDeltaError {
        throw CommandFailure(reason: "sync", message: error.description)
      } catch let error as ReplicaError {
        throw CommandFailure(reason: "sync", message: error.description)
      }
    }
  }

  static func decodeSnapshot(_ data: Data, from source: String) throws -> LedgerSnapshot {
    do { return try JSONDecoder().decode(LedgerSnapshot.self, from: data) } catch {
      throw CommandFailure(reason: "invalidSnapshot", message: "\(source) is not a snapshot: \(FailureMessage(error))")
    }
  }

  /// The summary in words and as JSON.
  static func report(_ summary: SyncSummary, _ refusedByHQ: inout Int) throws -> (text: String, object: [String: Any]) {
    refusedByHQ = summary.refusedByHQ.count
    var text = "sync: sent \(summary.sent), received \(summary.received), conflicts \(summary.conflicts.count)"
    if !summary.refusedByHQ.isEmpty { text += ", refused by HQ \(summary.refusedByHQ.count)" }
    if summary.repairedBytes > 0 { text += "; repaired a torn tail of \(summary.repairedBytes) bytes" }
    for c in summary.conflicts { text += "\n  conflict: \(c)" }
    for r in summary.refusedByHQ { text += "\n  refused by HQ: \(r)" }
    // Other shops' entries: their card numbers masked, as on every counter-side output.
    for x in summary.excluded { text += "\n  left out of the ledger's fold: \(CardID.maskingCards(in: x))" }
    for n in summary.notices { text += "\n  note: \(n)" }
    return (
      text,
      [
        "sent": summary.sent, "received": summary.received, "conflicts": summary.conflicts,
        "repairedBytes": summary.repairedBytes, "refusedByHQ": summary.refusedByHQ,
        "excluded": summary.excluded.map(CardID.maskingCards),
        "notices": summary.notices,
      ]
    )
  }
}

import Ledger
import LoyaltyCore
import SyncProtocol

/// How a terminal reaches the central ledger for its nightly sync: the embedded file path
/// (`LocalLedgerConnection`, HQ's file on this machine) or HQ's sync service over HTTP (the
/// `HQClient` module). `NightlySync` depends on this protocol only; both run the same admission
/// on HQ's side and hand back the same checkpoint and bytes.
public protocol LedgerConnection: Sendable {
  /// Where the ledger is, for messages.
  var location: String { get }
  /// Whether checkpoints come signed by HQ (the service); over the file the terminal's own audit
  /// makes them.
  var signsCheckpoints: Bool { get }

  /// Submits the outbox (entries this terminal recorded, not yet synced) to HQ's admission at
  /// `at`, and returns the answer and the checkpoint a terminal at `state` downloads to.
  func exchange(
    _ outbox: [Entry], at: UTCInstant, after state: LedgerVerifier.State, terminal: String, key: LedgerKey,
    now: UTCInstant?
  ) async throws -> SyncExchange

  /// Makes the ledger's bytes `checkpoint.from..<checkpoint.offset` readable from a local file
  /// (downloading them into `scratch`, resuming a partial download there) and says where.
  func download(_ checkpoint: SyncCheckpoint, terminal: String, key: LedgerKey, scratch: String) async throws
    -> LedgerBytes
}

/// What an exchange gave: the admission's answer (nil when the outbox was empty) and HQ's
/// checkpoint.
public struct SyncExchange: Sendable {
  public var answer: SubmissionAnswer?
  public var checkpoint: SyncCheckpoint
  /// Bytes of a torn append (a killed writer) HQ's side cut from the ledger's tail first.
  public var repairedBytes: Int

  public init(answer: SubmissionAnswer?, checkpoint: SyncCheckpoint, repairedBytes: Int = 0) {
    self.answer = answer
    self.checkpoint = checkpoint
    self.repairedBytes = repairedBytes
  }
}

/// A range of the ledger's bytes in a local file.
public struct LedgerBytes: Sendable {
  public var path: String
  /// Where in `path` the range starts.
  public var start: Int
  public var count: Int
  /// Remove `path` once applied (a download), or not (the ledger itself).
  public var isDownload: Bool

  public init(path: String, start: Int, count: Int, isDownload: Bool) {
    self.path = path
    self.start = start
    self.count = count
    self.isDownload = isDownload
  }
}

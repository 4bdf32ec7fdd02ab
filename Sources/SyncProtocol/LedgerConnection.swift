import LedgerFormat
import LoyaltyCore

/// How a terminal reaches the central ledger for its nightly sync: the embedded file path
/// (`LocalLedgerConnection` in HQ's store, HQ's file on this machine) or HQ's sync service over HTTP (the
/// `HQClient` module). `NightlySync` depends on this protocol only; both run the same admission
/// on HQ's side and hand back the same checkpoint and bytes.
public protocol LedgerConnection: Sendable {
  /// Where the ledger is, for messages.
  var location: String { get }
  /// Whether checkpoints come signed by HQ (the service); over the file the terminal's own audit
  /// makes them.
  var signsCheckpoints: Bool { get }
  /// Whether HQ signs its answers to batches (the service): the terminal then believes an answer
  /// only when HQ's key signed it. Over the file the terminal's own admission makes them.
  var signsAnswers: Bool { get }

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

  /// Checks a snapshot a cache starts from: against HQ's file where the terminal reads it, else
  /// HQ's signature over it.
  func check(_ snapshot: LedgerSnapshot) async throws

  /// Makes HQ's state delta after epoch `since` (`StateDelta`: the states of the accounts changed
  /// since, as of HQ's current epoch; 0: all of them) readable from a local file at `scratch` and
  /// says where. `programChecksum` is the program the terminal holds (its text is left out when
  /// HQ's is the same). A terminal the program in force puts in a region gets only that region's
  /// members (`StateDelta`, partial replicas).
  func stateDelta(since: Int64, programChecksum: String?, terminal: String, key: LedgerKey, scratch: String)
    async throws -> String

  /// HQ's answer to a counter looking `card` up on demand (`AccountLookup`): the card's account
  /// as the audit takes `terminal` to know it on `basis` (its checkpoint), for a counter whose
  /// replica does not hold it (a terminal in a region). Signed over the service.
  func lookUp(card: String, basis: Int64, terminal: String, key: LedgerKey) async throws -> AccountLookup
}

extension LedgerConnection {
  /// A connection whose checkpoints HQ signs has HQ sign its answers too.
  public var signsAnswers: Bool { signsCheckpoints }

  /// Over HQ's service: signed by the HQ key the snapshot names (the first checkpoint must then be
  /// signed by that same key).
  public func check(_ snapshot: LedgerSnapshot) async throws { try snapshot.checkSignature() }

}

/// What an exchange gave: the admission's answers (none when the outbox was empty; one per part
/// of a large outbox, each as HQ signed it) and HQ's checkpoint.
public struct SyncExchange: Sendable {
  public var answers: [SubmissionAnswer]
  public var checkpoint: SyncCheckpoint
  /// Bytes of a torn append (a killed writer) HQ's side cut from the ledger's tail first.
  public var repairedBytes: Int
  /// What HQ's side noticed that its operator should know (over the file path: its refusal log
  /// could not be written).
  public var notices: [String] = []

  public init(answer: SubmissionAnswer?, checkpoint: SyncCheckpoint, repairedBytes: Int = 0) {
    self.init(answers: answer.map { [$0] } ?? [], checkpoint: checkpoint, repairedBytes: repairedBytes)
  }

  public init(answers: [SubmissionAnswer], checkpoint: SyncCheckpoint, repairedBytes: Int = 0) {
    self.answers = answers
    self.checkpoint = checkpoint
    self.repairedBytes = repairedBytes
  }

  /// The answers as one (a single part as HQ gave it, signature included; several merged, under
  /// the first part's batch id and without a signature); setting it replaces them all.
  public var answer: SubmissionAnswer? {
    get {
      guard var merged = answers.first else { return nil }
      guard answers.count > 1 else { return merged }
      merged.signature = nil
      for part in answers.dropFirst() {
        merged.appended += part.appended
        merged.held += part.held
        merged.refused += part.refused
        merged.repairedBytes += part.repairedBytes
      }
      return merged
    }
    set { answers = newValue.map { [$0] } ?? [] }
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

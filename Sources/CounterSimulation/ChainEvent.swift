import LoyaltyCore
import ScenarioFormat

/// One timed event of a simulated chain: a cashier's action at a counter (or a nightly sync), a
/// counter's back-office command, an HQ act, or a fault the plan injects.
public struct ChainEvent: Sendable {
  public var at: UTCInstant
  public var action: Action

  public init(at: UTCInstant, action: Action) {
    self.at = at
    self.action = action
  }

  public enum Action: Sendable {
    /// Played at the counter's keypad and reader, as a scenario event.
    case counter(Scenario.Action)
    /// A new card linked to an existing card's account at the counter's CLI (a second card).
    case link(terminal: String, card: String, to: String)
    /// HQ publishes the program again as a new version with this return window (pending points).
    case publishProgram(pendingDays: Int, formatTwoWindow: Int?)
    /// The cashier looks a card up at HQ before a purchase (a counter in a region, online).
    case lookUp(terminal: String, card: String)
    case fault(ChainFault)
  }
}

/// What can go wrong in a chain, honestly or not: each one a fault the swarm injects, and each
/// one the chain must survive with no honest point lost and no counter stuck.
public enum ChainFault: Sendable, Hashable, CustomStringConvertible {
  /// Someone with write access to HQ's file (no key) appends a batch no registered writer sealed.
  case junkBatch
  /// A writer killed mid-append leaves the file ending in half a batch.
  case tornTail
  /// HQ admits a terminal's batch; the terminal dies before it applies the answer (restarts).
  case lostAnswer(String)
  /// HQ registers a new key for a terminal, which switches to it.
  case rotateKey(String)
  /// HQ revokes a terminal (a counter replaced, say): it cannot sync until registered again.
  case revoke(String)
  /// HQ registers a revoked terminal again, with a new key; its unsynced sales must arrive.
  case reregister(String)
  /// HQ's sync service restarts between two counters' syncs (through the file: nothing to restart).
  case hqRestart
  /// HQ takes a backup of its ledger (`ledger backup`), the service running.
  case backup
  /// HQ's ledger is lost and restored from the latest backup (`ledger restore`, the service
  /// stopped), HQ's own acts since done again: the counters that synced since go back and resend.
  case restore
  /// Something between HQ and a counter alters the night's state delta (one state's points
  /// raised): the counter refuses it and nothing changes; it syncs again at once.
  case tamperedDelta(String)

  public var description: String {
    switch self {
    case .junkBatch: "junk batch in HQ's file"
    case .tornTail: "torn tail in HQ's file"
    case .lostAnswer(let t): "\(t) loses HQ's answer"
    case .rotateKey(let t): "\(t)'s key rotated"
    case .revoke(let t): "\(t) revoked"
    case .reregister(let t): "\(t) registered again"
    case .hqRestart: "HQ's service restarts"
    case .backup: "HQ backs up its ledger"
    case .restore: "HQ restores its ledger from the backup"
    case .tamperedDelta(let t): "\(t) is handed a tampered state delta"
    }
  }

  /// The kind, without the terminal: for counting a plan's faults.
  public var kind: String {
    switch self {
    case .junkBatch: "junk batch"
    case .tornTail: "torn tail"
    case .lostAnswer: "lost answer"
    case .rotateKey: "key rotation"
    case .revoke: "revocation"
    case .reregister: "re-registration"
    case .hqRestart: "HQ restart"
    case .backup: "backup"
    case .restore: "restore"
    case .tamperedDelta: "tampered delta"
    }
  }
}

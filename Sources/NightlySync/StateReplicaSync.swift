import Foundation
import LedgerFormat
import LocalFiles
import LoyaltyCore
import PointsCache
import SyncProtocol

/// What bringing a replica to HQ's epoch did.
public struct ReplicaSummary: Sendable {
  /// The epoch the replica is at now, and the one it was at (nil: it had none).
  public var epoch: Int64
  public var from: Int64?
  /// States applied, of which accounts new to the replica; whether it was a bootstrap.
  public var states: Int
  public var added: Int
  public var full: Bool
  /// Bytes of the delta.
  public var bytes: Int
}

/// Brings a terminal's replica of HQ's account states to HQ's current epoch: fetches the delta
/// after the replica's epoch over the connection (HQ's service, or HQ's file on this machine),
/// checks HQ's signature over the epoch against the HQ key the cache pinned at its first sync
/// (over the service), and applies it in one transaction that commits only when the states give
/// the epoch's digest, count and liability. A tampered delta or a wrong digest changes nothing.
public struct StateReplicaSync: Sendable {
  public let cache: PointsCache
  public let connection: any LedgerConnection
  public let terminal: String
  public let key: LedgerKey
  public let scratch: String
  let blocking = BlockingCallQueue(label: "state-replica")

  public init(
    cache: PointsCache, connection: any LedgerConnection, terminal: String, key: LedgerKey, scratch: String? = nil
  ) {
    self.cache = cache
    self.connection = connection
    self.terminal = terminal
    self.key = key
    self.scratch = scratch ?? cache.path + ".state"
  }

  /// Fetches and applies the delta at `time`.
  public func pull(at time: UTCInstant) async throws -> ReplicaSummary {
    let cache = cache
    let (position, pinned) = try await blocking.run { () throws -> (ReplicaPosition?, String?) in
      let json = try cache.syncCheckpoint()
      let state = try json.map { try JSONDecoder().decode(LedgerVerifier.State.self, from: Data($0.utf8)) }
      return (try cache.replicaPosition(), state?.hqKey)
    }
    let path = try await connection.stateDelta(
      since: position?.seq ?? 0, programChecksum: position?.programChecksum, terminal: terminal, key: key,
      scratch: scratch)
    defer { try? FileManager.default.removeItem(atPath: path) }
    let signs = connection.signsCheckpoints
    return try await blocking.run { () throws -> ReplicaSummary in
      let reader = try StateDeltaReader(path: path)
      let header = reader.header
      let epoch = header.epoch
      if signs {
        guard let hqKey = pinned ?? epoch.hqKey, epoch.isSigned(by: hqKey) else {
          throw StateDeltaError(
            "HQ's epoch \(epoch.seq) is not signed by the HQ key this terminal pinned: nothing applied")
        }
      }
      if let program = header.program, StateDelta.checksum(text: program) != epoch.programChecksum {
        throw StateDeltaError("the delta's program is not the one its epoch names: nothing applied")
      }
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
      let target = ReplicaTarget(
        seq: epoch.seq, accounts: epoch.accounts, liability: epoch.liability, checksum: epoch.digest,
        programChecksum: epoch.programChecksum, epoch: String(decoding: try encoder.encode(epoch), as: UTF8.self))
      let applied = try cache.applyStateDelta(
        since: header.since, full: header.full, program: header.program, target: target, at: time,
        states: { emit in try reader.states(emit) })
      let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
      return ReplicaSummary(
        epoch: epoch.seq, from: position?.seq, states: applied.states, added: applied.added, full: header.full,
        bytes: size)
    }
  }
}

import Foundation
import LedgerFormat
import LedgerStore
import LoyaltyCore
import NightlySync
import SyncProtocol

/// A connection with something in between that alters each state delta on its way (the file it
/// is written to, before the terminal reads it); everything else passes as it is. By default the
/// first state's first lot gains a point, or its spend a cent when it has no lot: still a
/// canonical state, so only the epoch's digest can tell.
public struct TamperingConnection: LedgerConnection {
  public let honest: any LedgerConnection
  let tamper: @Sendable (String) throws -> Void

  public init(honest: any LedgerConnection, tamper: @escaping @Sendable (String) throws -> Void = Self.raiseFirstLot) {
    self.honest = honest
    self.tamper = tamper
  }

  public var location: String { "a tampering path to \(honest.location)" }
  public var signsCheckpoints: Bool { honest.signsCheckpoints }

  public func exchange(
    _ outbox: [Entry], at: UTCInstant, after state: LedgerVerifier.State, terminal: String, key: LedgerKey,
    now: UTCInstant?
  ) async throws -> SyncExchange {
    try await honest.exchange(outbox, at: at, after: state, terminal: terminal, key: key, now: now)
  }

  public func download(_ checkpoint: SyncCheckpoint, terminal: String, key: LedgerKey, scratch: String) async throws
    -> LedgerBytes
  { try await honest.download(checkpoint, terminal: terminal, key: key, scratch: scratch) }

  public func stateDelta(since: Int64, programChecksum: String?, terminal: String, key: LedgerKey, scratch: String)
    async throws -> String
  {
    let path = try await honest.stateDelta(
      since: since, programChecksum: programChecksum, terminal: terminal, key: key, scratch: scratch)
    try tamper(path)
    return path
  }

  /// Look-ups pass as they are (a tampered one is refused by HQ's signature, `AccountLookup`).
  public func lookUp(card: String, basis: Int64, terminal: String, key: LedgerKey) async throws -> AccountLookup {
    try await honest.lookUp(card: card, basis: basis, terminal: terminal, key: key)
  }

  /// Rewrites the delta file at `path` through `edit` (its bytes).
  public static func rewrite(_ path: String, _ edit: (inout [UInt8]) -> Void) throws {
    var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    edit(&bytes)
    try Data(bytes).write(to: URL(fileURLWithPath: path))
  }

  /// The default tampering: the first state's first lot raised by a point.
  @Sendable public static func raiseFirstLot(_ path: String) throws { try rewrite(path, raiseFirstLot) }

  /// Raises the first state's first lot by a point, if the delta has one; else appends a byte.
  static func raiseFirstLot(_ bytes: inout [UInt8]) {
    let newlines = bytes.indices.filter { bytes[$0] == 0x0A }
    guard newlines.count >= 2 else { return bytes.append(0) }
    let start = newlines[1] + 1
    guard start + 4 <= bytes.count else { return bytes.append(0) }
    let n = bytes[start..<start + 4].reduce(0) { $0 << 8 | Int($1) }
    // A region's delta: each frame starts with its member's day (8 bytes), kept as it is.
    let day = String(decoding: bytes[newlines[0]..<newlines[1]], as: UTF8.self).contains("\"region\":\"") ? 8 : 0
    guard day < n, start + 4 + n <= bytes.count,
      var state = try? AccountStateEncoding.decode(bytes[(start + 4 + day)..<(start + 4 + n)])
    else { return bytes.append(0) }
    if var lot = state.lots.lots.first,
      let raised = try? PointLots(
        lots: [PointLots.Lot(earnedAt: lot.earnedAt, expiresAt: lot.expiresAt, remaining: lot.remaining + 1)]
          + state.lots.lots.dropFirst(), deficit: state.lots.deficit)
    {
      lot.remaining += 1
      state.lots = raised
    } else {
      state.lifetimeSpend += 1
    }
    let encoded = Array(bytes[(start + 4)..<(start + 4 + day)]) + AccountStateEncoding.encode(state)
    let length = UInt32(encoded.count)
    bytes.replaceSubrange(
      start..<(start + 4 + n),
      with: [
        UInt8(length >> 24), UInt8(truncatingIfNeeded: length >> 16), UInt8(truncatingIfNeeded: length >> 8),
        UInt8(truncatingIfNeeded: length),
      ] + encoded)
  }
}

extension ScenarioRunner {
  /// The counter is handed a tampered delta: its sync must fail and change nothing of its cache
  /// (its epoch, its balances, its outbox); the night's own sync follows.
  func refuseTamperedDelta(_ terminal: String) async throws {
    let cache = self.cache(terminal)
    let before = (try cache.replicaPosition(), try cache.balances(), try cache.outbox().map(\.id))
    let sync = NightlySync(
      cache: cache, connection: TamperingConnection(honest: LocalLedgerConnection(ledger: ledger)),
      terminal: terminal, key: keys[terminal]!)
    do {
      let summary = try await sync.run(at: clock.now)
      if summary.received > 0 {
        throw ChainInvariants.Violation(description: "\(terminal) applied a tampered state delta")
      }
      narrate("\(clock.now) \(terminal): a tampered delta with no state to alter")
      return
    } catch let violation as ChainInvariants.Violation {
      throw violation
    } catch {
      narrate("\(clock.now) \(terminal): refused a tampered state delta: \(error)")
    }
    // What HQ admitted of the outbox meanwhile is HQ's: the cache itself has not moved.
    // (A sync that found HQ's ledger restored went back first: its epoch dropped, its rows kept.)
    let after = (try cache.replicaPosition(), try cache.balances())
    guard after.0 == before.0 || after.0 == nil, after.1 == before.1 else {
      throw ChainInvariants.Violation(description: "\(terminal)'s cache changed on a tampered state delta")
    }
  }
}

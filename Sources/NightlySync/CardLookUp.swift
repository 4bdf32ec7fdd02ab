import Foundation
import LedgerFormat
import LocalFiles
import LoyaltyCore
import PointsCache
import SyncProtocol

/// A counter looking a card up on demand: a terminal in a region whose replica does not hold the
/// card's account asks HQ for it (`GET /v1/account`, or HQ's file over the embedded path) on its
/// own basis, checks HQ's signature against the key it pinned, and takes the state into its cache
/// until its next sync (`PointsCache.takeLookUp`). It then decides on the account's whole state —
/// tier, balance, receipts — as HQ's audit re-derives it, instead of provisionally on the base
/// tier. Without HQ (offline), nothing changes: the card earns provisionally as before.
public struct CardLookUp: Sendable {
  public let cache: PointsCache
  public let connection: any LedgerConnection
  public let terminal: String
  public let key: LedgerKey
  /// The cache's reads and writes, off the cooperative pool.
  let blocking = BlockingCallQueue(label: "card-lookup")

  public init(cache: PointsCache, connection: any LedgerConnection, terminal: String, key: LedgerKey) {
    self.cache = cache
    self.connection = connection
    self.terminal = terminal
    self.key = key
  }

  /// Looks `card` up and takes HQ's answer at `time`.
  public func run(card: String, at time: UTCInstant) async throws -> LookUpOutcome {
    let (cache, terminal) = (cache, terminal)
    let signs = connection.signsCheckpoints
    let (question, hqKey) = try await blocking.run { () throws -> ((basis: Int64, held: String?)?, String?) in
      if let owner = try cache.owner(), owner != terminal {
        throw RuleError(.wrongTerminal, "this cache belongs to terminal \(owner), not \(terminal); nothing looked up")
      }
      // A counter that syncs over HQ's service keeps only signed answers (`LookedUpCheck`).
      if !signs, try cache.epochIsHQSigned() {
        throw SyncProtocolError(
          "this counter syncs with HQ's service, which signs what it answers: look the card up there (--hq URL), "
            + "not in HQ's file; nothing looked up")
      }
      return (try cache.lookUpQuestion(card: card), try cache.verifierState()?.hqKey)
    }
    guard let question else {
      throw SyncProtocolError("this cache holds no state from HQ yet: sync it first, then look cards up")
    }
    if let held = question.held { return .held(account: held) }
    // Nothing to check an answer against: HQ is not asked.
    if connection.signsCheckpoints, hqKey == nil {
      throw SyncProtocolError("this cache has pinned no HQ key yet: sync it with HQ's service first")
    }
    let answer = try await connection.lookUp(card: card, basis: question.basis, terminal: terminal, key: key)
    let state = try answer.checked(
      terminal: terminal, card: card, basis: question.basis, hqKey: connection.signsCheckpoints ? hqKey : nil)
    let received = try AccountLookup.encoder.encode(answer)
    return try await blocking.run {
      try cache.takeLookUp(
        card: card, state: state, basis: question.basis, headSeq: answer.headSeq,
        answer: String(decoding: received, as: UTF8.self), at: time)
    }
  }
}

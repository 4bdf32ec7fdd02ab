import Foundation
import Ledger
import LoyaltyCore
import NightlySync
import PointsCache
import TestSupport
import Testing

/// One bad append used to stop every reader: now nothing verification would refuse is written.
@Suite("Appends the verifier would refuse are never written")
struct AppendCheckTests {
  func bytes(_ f: ChainFixture) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: f.ledger.path)) }

  @Test func anHQCommandWithATerminalsKeyWritesNothing() throws {
    let f = try ChainFixture(terminals: 2)
    let before = try bytes(f)
    let t01 = try LedgerKey.load(from: f.keyPath("T01"))
    let adjust = LedgerEntry(
      kind: .adjustment, id: "adj", at: ChainFixture.start, terminal: "HQ", account: "acct-x", points: 5)
    let error = #expect(throws: LedgerError.self) { try f.ledger.append([adjust], signer: "HQ", key: t01, at: ChainFixture.start) }
    #expect(error?.reason.contains("not HQ's") == true, "\(String(describing: error))")
    #expect(try bytes(f) == before)
    #expect(throws: Never.self) { try LedgerVerifier().verify(path: f.ledger.path) }
  }

  @Test func aSyncWithTheWrongKeyOrAnUnregisteredTerminalWritesNothing() throws {
    let f = try ChainFixture(terminals: 2)
    for t in f.terminals { try f.sync(t, at: ChainFixture.start.adding(seconds: 60)) }
    let card = ChainFixture.cards[0]
    _ = try f.cache("T01").enroll(card: card, referrer: nil, context: f.context("T01", 0))
    let before = try bytes(f)
    // T01's cache with T02's key.
    let wrongKey = NightlySync(
      cache: try f.cache("T01"), ledger: f.ledger, terminal: "T01", key: try LedgerKey.load(from: f.keyPath("T02")))
    #expect(throws: LedgerError.self) { try wrongKey.run(at: ChainFixture.start.adding(days: 1)) }
    // A terminal id HQ never registered, with a cache of its own.
    let strangerCache = try PointsCache(path: f.directory.appendingPathComponent("T09.db").path)
    let stranger = NightlySync(
      cache: strangerCache, ledger: f.ledger, terminal: "T09", key: try LedgerKey.load(from: f.keyPath("T01")))
    try stranger.run(at: ChainFixture.start.adding(days: 1))  // nothing to send: it only learns
    _ = try strangerCache.enroll(card: ChainFixture.cards[1], referrer: nil, context: f.context("T09", 0))
    #expect(throws: LedgerError.self) { try stranger.run(at: ChainFixture.start.adding(days: 1)) }
    // A cache synced under another terminal's id.
    let renamed = NightlySync(
      cache: try f.cache("T01"), ledger: f.ledger, terminal: "T02", key: try LedgerKey.load(from: f.keyPath("T02")))
    #expect(throws: RuleError.self) { try renamed.run(at: ChainFixture.start.adding(days: 1)) }
    #expect(try bytes(f) == before)
    #expect(try f.cache("T01").outbox().count == 1, "nothing marked synced")
    // The chain goes on: the right sync appends, the other terminal learns it.
    #expect(try f.sync("T01", at: ChainFixture.start.adding(days: 1)).sent == 1)
    #expect(try f.sync("T02", at: ChainFixture.start.adding(days: 1)).received == 1)
  }

  @Test func noAppendAfterATornTail() throws {
    let f = try ChainFixture(terminals: 1)
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: f.ledger.path))
    try handle.seekToEnd()
    try handle.write(contentsOf: Data("{\"seq\":99,\"kind\":\"earn\"".utf8))
    try handle.close()
    let before = try bytes(f)
    let adjust = LedgerEntry(
      kind: .adjustment, id: "adj", at: ChainFixture.start, terminal: "HQ", account: "acct-x", points: 5)
    #expect(throws: LedgerError.self) { try f.ledger.append([adjust], signer: "HQ", key: f.hq, at: ChainFixture.start) }
    #expect(try bytes(f) == before)
  }
}

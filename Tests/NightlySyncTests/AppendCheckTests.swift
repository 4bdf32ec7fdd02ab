import Foundation
import LedgerFormat
import LedgerStore
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
    let error = #expect(throws: LedgerError.self) {
      try f.ledger.append([adjust], signer: "HQ", key: t01, at: ChainFixture.start)
    }
    #expect(error?.reason.contains("not HQ's") == true, "\(String(describing: error))")
    #expect(try bytes(f) == before)
    #expect(throws: Never.self) { try LedgerVerifier().verify(path: f.ledger.path) }
  }

  @Test func aSyncWithTheWrongKeyOrAnUnregisteredTerminalWritesNothing() async throws {
    let f = try ChainFixture(terminals: 2)
    for t in f.terminals { try await f.sync(t, at: ChainFixture.start.adding(seconds: 60)) }
    let card = ChainFixture.cards[0]
    _ = try f.cache("T01").enroll(card: card, referrer: nil, context: f.context("T01", 0))
    let before = try bytes(f)
    // T01's cache with T02's key.
    let wrongKey = NightlySync(
      cache: try f.cache("T01"), connection: LocalLedgerConnection(ledger: f.ledger), terminal: "T01",
      key: try LedgerKey.load(from: f.keyPath("T02")))
    await #expect(throws: LedgerError.self) { try await wrongKey.run(at: ChainFixture.start.adding(days: 1)) }
    // A terminal id HQ never registered, with a cache of its own.
    let strangerCache = try PointsCache(path: f.directory.appendingPathComponent("T09.db").path)
    let stranger = NightlySync(
      cache: strangerCache, connection: LocalLedgerConnection(ledger: f.ledger), terminal: "T09",
      key: try LedgerKey.load(from: f.keyPath("T01")))
    _ = try await stranger.run(at: ChainFixture.start.adding(days: 1))  // nothing to send: it only learns
    // It records nothing until HQ registers it (HQ's audit would refuse what it decided)…
    let refusal = #expect(throws: RuleError.self) {
      _ = try strangerCache.enroll(card: ChainFixture.cards[1], referrer: nil, context: f.context("T09", 0))
    }
    #expect(refusal?.message.contains("not registered") == true)
    #expect(try strangerCache.outbox().isEmpty)
    // A cache synced under another terminal's id.
    let renamed = NightlySync(
      cache: try f.cache("T01"), connection: LocalLedgerConnection(ledger: f.ledger), terminal: "T02",
      key: try LedgerKey.load(from: f.keyPath("T02")))
    await #expect(throws: RuleError.self) { try await renamed.run(at: ChainFixture.start.adding(days: 1)) }
    #expect(try bytes(f) == before)
    #expect(try f.cache("T01").outbox().count == 1, "nothing marked synced")
    // The chain goes on: the right sync appends, the other terminal learns it.
    await #expect(try f.sync("T01", at: ChainFixture.start.adding(days: 1)).sent == 1)
    await #expect(try f.sync("T02", at: ChainFixture.start.adding(days: 1)).received == 1)
  }

  /// A key file mix-up with nothing to send is refused too, and the counter goes on recording.
  @Test func aSyncWithTheWrongKeyAndAnEmptyOutboxChangesNothing() async throws {
    let f = try ChainFixture(terminals: 2)
    for t in f.terminals { try await f.sync(t, at: ChainFixture.start.adding(seconds: 60)) }
    let wrong = NightlySync(
      cache: try f.cache("T01"), connection: LocalLedgerConnection(ledger: f.ledger), terminal: "T01",
      key: try LedgerKey.load(from: f.keyPath("T02")))
    let error = await #expect(throws: LedgerError.self) { try await wrong.run(at: ChainFixture.start.adding(days: 1)) }
    #expect(error?.reason.contains("not the one HQ registered for T01") == true, "\(String(describing: error))")
    _ = try f.cache("T01").enroll(card: ChainFixture.cards[0], referrer: nil, context: f.context("T01", 0))
    await #expect(try f.sync("T01", at: ChainFixture.start.adding(days: 1)).sent == 1)
  }

  /// A key rotated while entries wait in the outbox: they go with the new key, none refused.
  @Test func entriesRecordedBeforeAKeyRotationAreAdmittedWithTheNewKey() async throws {
    let f = try ChainFixture(terminals: 2)
    for t in f.terminals { try await f.sync(t, at: ChainFixture.start.adding(seconds: 60)) }
    _ = try f.cache("T01").enroll(card: ChainFixture.cards[0], referrer: nil, context: f.context("T01", 0))
    let rotated = try LedgerKey.generate(at: f.directory.appendingPathComponent("T01-new.key").path)
    try f.ledger.append(
      [
        LedgerEntry(
          kind: .terminalRegister, id: "register-T01-2", at: ChainFixture.start.adding(days: 1), terminal: "HQ",
          ref: "T01", data: rotated.publicKeyBase64)
      ], signer: "HQ", key: f.hq, at: ChainFixture.start.adding(days: 1))
    let summary = try await NightlySync(
      cache: try f.cache("T01"), connection: LocalLedgerConnection(ledger: f.ledger), terminal: "T01", key: rotated
    )
    .run(at: ChainFixture.start.adding(days: 1).adding(seconds: 60))
    #expect(summary.sent == 1 && summary.refusedByHQ.isEmpty, "\(summary.refusedByHQ)")
  }

  /// HQ's own commands cut a torn tail (a writer killed mid-append) before appending, as a sync's
  /// admission and the service do: an operator is never stuck behind a dead writer's bytes.
  @Test func anHQAppendCutsATornTailFirst() throws {
    let f = try ChainFixture(terminals: 1)
    let before = try bytes(f)
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: f.ledger.path))
    try handle.seekToEnd()
    try handle.write(contentsOf: Data("{\"seq\":99,\"kind\":\"earn\"".utf8))
    try handle.close()
    let adjust = LedgerEntry(
      kind: .adjustment, id: "adj", at: ChainFixture.start, terminal: "HQ", account: "acct-x", points: 5)
    let written = try f.ledger.append([adjust], signer: "HQ", key: f.hq, at: ChainFixture.start)
    #expect(written.map(\.id) == ["adj"])
    let after = try bytes(f)
    #expect(after.prefix(before.count) == before, "the sealed history is untouched")
    #expect(!String(decoding: after, as: UTF8.self).contains("\"seq\":99"), "the torn bytes are gone")
    #expect(try LedgerVerifier().verify(path: f.ledger.path).entries > 0)
  }

  /// A complete line that is no ledger line, appended last by someone with the file, is an
  /// unsealed tail like a torn one: every reader passes over it, the next append cuts it (the
  /// attacker's try-out: it used to stop every reader and every sync until HQ restored a backup).
  /// Followed by another complete line, it is damage, named with its line.
  @Test func aJunkLastLineIsCutByTheNextAppendAndStopsNoReader() async throws {
    let f = try ChainFixture(terminals: 1)
    try await f.sync("T01", at: ChainFixture.start.adding(seconds: 60))
    let before = try bytes(f)
    let lines = before.split(separator: 0x0A).count
    try (before + Array("not a ledger line\n".utf8)).write(to: URL(fileURLWithPath: f.ledger.path))
    let (fold, _) = try LedgerFold.fold(path: f.ledger.path, sealedOnly: true)
    #expect(fold.program != nil, "readers pass over it")
    let junkInTheMiddle = before + Array("not a ledger line\n".utf8) + Array("{}\n".utf8)
    try junkInTheMiddle.write(to: URL(fileURLWithPath: f.ledger.path))
    let damage = #expect(throws: LedgerError.self) { _ = try LedgerFold.fold(path: f.ledger.path, sealedOnly: true) }
    #expect(damage?.line == lines + 1, "\(String(describing: damage))")
    try (before + Array("not a ledger line\n".utf8)).write(to: URL(fileURLWithPath: f.ledger.path))
    _ = try f.cache("T01").enroll(card: ChainFixture.cards[0], referrer: nil, context: f.context("T01", 0))
    try await f.sync("T01", at: ChainFixture.start.adding(days: 1))
    let after = try bytes(f)
    #expect(after.prefix(before.count) == before[...], "the sealed history is untouched")
    #expect(!String(decoding: after, as: UTF8.self).contains("not a ledger line"), "the junk is cut")
    #expect(try LedgerVerifier().verify(path: f.ledger.path).entries > 0)
  }

  /// HQ's commands that read the fold before they append (expiry, settlement, balances) pass over a
  /// torn tail as every reader does; `ledger verify` still names it. The swarm's seed 972: HQ's
  /// program publication the morning after a torn night with no sync failed on it.
  @Test func hqReadsPassOverATornTail() throws {
    let f = try ChainFixture(terminals: 1)
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: f.ledger.path))
    try handle.seekToEnd()
    try handle.write(contentsOf: Data("{\"seq\":99,\"kind\":\"earn\"".utf8))
    try handle.close()
    #expect(throws: LedgerError.self) { _ = try LedgerFold.fold(path: f.ledger.path) }
    let (fold, summary) = try LedgerFold.fold(path: f.ledger.path, sealedOnly: true)
    #expect(fold.program != nil && summary.entries > 0)
  }

  /// A terminal keeps the point it verified: a ledger rolled back, cut or swapped for another
  /// chain's (each of which verifies on its own) is refused, named, and nothing is synced.
  @Test func aRolledBackCutOrSwappedLedgerIsRefused() async throws {
    let f = try ChainFixture(terminals: 2)
    for t in f.terminals { try await f.sync(t, at: ChainFixture.start.adding(seconds: 60)) }
    _ = try f.cache("T01").enroll(card: ChainFixture.cards[0], referrer: nil, context: f.context("T01", 0))
    let older = try bytes(f)
    try await f.sync("T01", at: ChainFixture.start.adding(days: 1))
    try await f.sync("T02", at: ChainFixture.start.adding(days: 1).adding(seconds: 60))
    let current = try bytes(f)
    let url = URL(fileURLWithPath: f.ledger.path)

    try older.write(to: url)  // HQ restored yesterday's copy
    #expect(throws: Never.self) { try LedgerVerifier().verify(path: f.ledger.path) }
    let rolledBack = await #expect(throws: LedgerError.self) {
      try await f.sync("T02", at: ChainFixture.start.adding(days: 2))
    }
    #expect(rolledBack?.reason.contains("cut or rolled back") == true, "\(String(describing: rolledBack))")

    let other = try ChainFixture(terminals: 2)
    try Data(contentsOf: URL(fileURLWithPath: other.ledger.path)).write(to: url)  // another chain's ledger
    let swapped = await #expect(throws: LedgerError.self) {
      try await f.sync("T02", at: ChainFixture.start.adding(days: 2))
    }
    #expect(swapped?.reason.contains("another HQ key") == true, "\(String(describing: swapped))")

    try current.write(to: url)  // the real ledger back: the chain goes on
    await #expect(throws: Never.self) { try await f.sync("T02", at: ChainFixture.start.adding(days: 2)) }
  }

  @Test func aSyncedTerminalTakesItsProgramFromTheLedgerOnly() async throws {
    let f = try ChainFixture(terminals: 1)
    try await f.sync("T01", at: ChainFixture.start.adding(seconds: 60))
    let generous = ChainFixture.program.replacingOccurrences(
      of: "\"pointsPerUnit\": \"1\"", with: "\"pointsPerUnit\": \"1000000\"")
    let program = try ProgramParser.parse(Data(generous.utf8))
    let refusal = #expect(throws: RuleError.self) {
      try f.cache("T01").loadProgram(program, json: generous, context: f.context("T01", 0))
    }
    #expect(refusal?.message.contains("takes its program only from there") == true)
  }
}

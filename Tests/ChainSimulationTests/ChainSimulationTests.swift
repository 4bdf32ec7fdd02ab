import CardEmulation
import Foundation
import GRDB
import LedgerFormat
import LedgerStore
import Logging
import LoyaltyCore
import PointsCache
import ScenarioFormat
import Testing

@testable import CounterSimulation

@Suite("Chain simulation")
struct ChainSimulationTests {
  func workdir() -> URL {
    FileManager.default.temporaryDirectory.appendingPathComponent("chain-\(UUID().uuidString)")
  }

  /// A tampering hook: `edit` run on `terminal`'s cache file before each of its syncs, as someone
  /// with the file would.
  func editing(_ terminal: String, _ edit: @escaping (Database) throws -> Void) -> (
    terminal: String, edit: (ScenarioRunner) throws -> Void
  ) {
    (
      terminal,
      { runner in
        let queue = try DatabaseQueue(path: runner.cache(terminal).path)
        defer { try? queue.close() }
        try queue.write(edit)
      }
    )
  }

  @Test(arguments: [1, 2, 3] as [UInt64])
  func invariantsHoldAfterEverySync(seed: UInt64) async throws {
    let traffic = ChainTraffic(terminals: 3, days: 6, cardholders: 40, seed: seed)
    let summary = try await ChainSimulation(traffic: traffic).run(workdir: workdir(), logger: Logger(label: "test"))
    #expect(summary.syncs == 7, "six nights and the final sync")
    #expect(summary.checks > summary.ledgerEntries && summary.ledgerEntries > 20)
    // The same seed plays the same traffic.
    let again = try await ChainSimulation(traffic: traffic).run(workdir: workdir(), logger: Logger(label: "test"))
    #expect(again.events == summary.events && again.refused == summary.refused)
    #expect(again.ledgerEntries == summary.ledgerEntries && again.checks == summary.checks)
  }

  /// The same random traffic with T02 tampering at random (points of its earns and redemptions
  /// changed in its cache before each sync): every tampered entry is refused, entry by entry, no
  /// other terminal's is, and every terminal still agrees with the ledger's fold.
  @Test(arguments: [4, 5] as [UInt64])
  func aTamperingTerminalIsCaughtEntryByEntry(seed: UInt64) async throws {
    let traffic = ChainTraffic(terminals: 3, days: 12, cardholders: 60, seed: seed)
    var simulation = ChainSimulation(traffic: traffic)
    final class Tampering {
      var ids: Set<String> = []
      var rng: SplitMix64
      init(seed: UInt64) { rng = SplitMix64(seed: seed) }
    }
    let tampering = Tampering(seed: seed)
    simulation.tampering = editing(
      "T02",
      { db in
        let ids = try String.fetchAll(
          db,
          sql: """
            SELECT id FROM entry WHERE origin = 'local' AND synced = 0 AND kind IN ('earn', 'redeem')
            ORDER BY seq
            """)
        for id in ids where tampering.rng.next() % 2 == 0 {
          try db.execute(
            sql: "UPDATE entry SET points = points + ? WHERE id = ?",
            arguments: [1 + Int64(tampering.rng.next() % 500), id])
          tampering.ids.insert(id)
        }
      }
    )
    let workdir = workdir()
    _ = try await simulation.run(workdir: workdir, logger: Logger(label: "test"))
    let caught = tampering.ids
    #expect(caught.count > 3, "the traffic gave T02 entries to tamper with")
    let (fold, _) = try LedgerFold.fold(path: workdir.appendingPathComponent("ledger.jsonl").path)
    let refused = Set(fold.audit.refusals.map(\.id))
    // Cards enrolled at one counter were bought with at another before it synced: provisional
    // earns, audited and folded like the rest (every terminal agreed with the fold after each night).
    let text = try String(contentsOf: workdir.appendingPathComponent("ledger.jsonl"), encoding: .utf8)
    #expect(text.components(separatedBy: "\"data\":\"provisional\"").count > 2, "provisional earns in the traffic")
    #expect(fold.audit.refusals.allSatisfy { $0.terminal == "T02" }, "only the tamperer is refused")
    let cache = try PointsCache(path: workdir.appendingPathComponent("T02.db").path)
    let keptAsRefused = Set(try cache.refusedByHQ().map(\.id))
    #expect(
      caught.isSubset(of: keptAsRefused), "every tampered entry refused by HQ: \(caught.subtracting(keptAsRefused))")
    #expect(refused.isEmpty, "nothing tampered was appended, so no reader has anything to leave out")
  }

  /// T02 spends its customers' points without their cards: before each sync it strips the card
  /// signatures from its redemptions (as a counter recording them with no card on the reader
  /// would). Every cardholder's card signs (the simulation's applet cards), so HQ refuses each of
  /// them, only them, and every counter still agrees with the fold.
  @Test(arguments: [6, 7] as [UInt64])
  func aCounterSpendingWithoutTheCardIsRefusedEntryByEntry(seed: UInt64) async throws {
    let traffic = ChainTraffic(terminals: 3, days: 12, cardholders: 60, seed: seed)
    var simulation = ChainSimulation(traffic: traffic)
    final class Stripped { var ids: Set<String> = [] }
    let stripped = Stripped()
    simulation.tampering = editing(
      "T02",
      { db in
        let ids = try String.fetchAll(
          db,
          sql: "SELECT id FROM entry WHERE origin = 'local' AND synced = 0 AND kind = 'redeem' AND proof IS NOT NULL")
        try db.execute(
          sql: "UPDATE entry SET proof = NULL WHERE id IN (SELECT value FROM json_each(?))",
          arguments: [
            String(decoding: try JSONEncoder().encode(ids), as: UTF8.self)
          ])
        stripped.ids.formUnion(ids)
      }
    )
    let workdir = workdir()
    _ = try await simulation.run(workdir: workdir, logger: Logger(label: "test"))
    #expect(stripped.ids.count > 0, "the traffic gave T02 redemptions to strip")
    let cache = try PointsCache(path: workdir.appendingPathComponent("T02.db").path)
    let refused = try cache.refusedByHQ()
    #expect(Set(refused.map(\.id)) == stripped.ids, "exactly the stripped redemptions refused")
    #expect(refused.allSatisfy { $0.reason.contains("has a card that signs") }, "\(refused.map(\.reason))")
    let (fold, _) = try LedgerFold.fold(path: workdir.appendingPathComponent("ledger.jsonl").path)
    #expect(fold.audit.refusals.isEmpty, "nothing unsigned was appended")
  }

  @Test func trafficHasEveryKindOfEvent() {
    let events = ChainTraffic(terminals: 4, days: 20, cardholders: 80, seed: 9).scenario().events
    func count(_ match: (Scenario.Action) -> Bool) -> Int { events.filter { match($0.action) }.count }
    #expect(count { if case .purchase = $0 { true } else { false } } > 100)
    #expect(count { if case .redeem = $0 { true } else { false } } > 5)
    #expect(count { if case .refund = $0 { true } else { false } } > 5)
    #expect(count { if case .block = $0 { true } else { false } } > 0)
    #expect(count { if case .crash = $0 { true } else { false } } > 0)
    // Some nights a counter is offline: not every sync names every terminal.
    #expect(count { if case .sync(let t) = $0 { t.count < 4 } else { false } } > 0)
    // Every item the traffic redeems is in the chain's catalogue (two of three were not, and
    // their redemptions were all refused at the counter as "no catalogue item").
    let program = try? ProgramParser.parse(Data(ChainTraffic.program.utf8))
    let catalogue = Set(program?.catalogue.map(\.id) ?? [])
    for case .redeem(_, _, let item) in events.map(\.action) { #expect(catalogue.contains(item), "\(item)") }
    // The chain-wide bounds are on: the swarm's honest traffic stays under them.
    #expect(program?.limits.maxEarnsPerCardPerDay == 50 && program?.referral?.maxReferralsPerReferrer == 20)
    #expect(ChainTraffic.loyaltyNumber(1234).count == 16)
    #expect((try? Identities.validateCard(ChainTraffic.loyaltyNumber(1234))) != nil)
  }

  @Test func anAcknowledgedOperationMissingFromTheLedgerFails() async throws {
    let traffic = ChainTraffic(terminals: 2, days: 2, cardholders: 10, seed: 42)
    let runner = try await ScenarioRunner(
      scenario: traffic.scenario(), workdir: workdir(), logger: Logger(label: "test"))
    _ = try await runner.run()
    let invariants = ChainInvariants(seed: 42)
    #expect(try invariants.check(runner, synced: ["T01", "T02"]) > 0)
    // T01 records an enrolment but it never reaches the ledger; claiming T01 synced must fail.
    _ = try runner.cache("T01").enroll(
      card: "04AABBCCDDEEFF", referrer: nil,
      context: OperationContext(terminal: "T01", operator: "t", at: runner.clock.now))
    #expect {
      _ = try invariants.check(runner, synced: ["T01"])
    } throws: { error in
      "\(error)".contains("T01 synced but still holds 1 unsent entries")
    }
  }

  /// Every fault of the swarm's plan, often, in one chain: a junk batch and a torn tail in HQ's
  /// file, answers lost, keys rotated, counters revoked and registered again, a return window
  /// published mid-way, HQ's ledger restored from a backup, sales entered before the card, second
  /// cards, refunds at other shops.
  @Test(arguments: [11, 12] as [UInt64])
  func everyFaultOfThePlanInOneChain(seed: UInt64) async throws {
    var traffic = ChainTraffic(terminals: 4, days: 8, cardholders: 40, seed: seed)
    traffic.mix.cardAfter = 20
    traffic.mix.crossShopRefund = 50
    traffic.mix.link = 100
    traffic.mix.expiry = 20
    traffic.faults.junkBatch = 40
    traffic.faults.tornTail = 40
    traffic.faults.lostAnswer = 20
    traffic.faults.rotateKey = 10
    traffic.faults.revoke = 10
    traffic.faults.publishProgram = (day: 3, pendingDays: 7, formatTwoWindow: nil)
    traffic.faults.restore = 60
    let summary = try await ChainSimulation(traffic: traffic).run(workdir: workdir(), logger: Logger(label: "test"))
    for kind in [
      "junk batch", "torn tail", "lost answer", "key rotation", "revocation", "re-registration", "backup", "restore",
    ] {
      #expect(summary.faults[kind, default: 0] > 0, "\(kind) injected")
    }
    #expect(summary.syncs >= 8 && summary.ledgerEntries > 50)
  }

  /// Every card the traffic hands out is one a reader can present: a 16-digit loyalty number or a
  /// 7-byte UID. The generator once masked only half its sum, and cardholders past the 414th got
  /// ids too long for a UID (a tenth of the README's chain refused "neither … nor a hex UID").
  @Test func everyGeneratedCardIsReadable() {
    let events = ChainTraffic(terminals: 3, days: 30, cardholders: 3_000, seed: 5).scenario().events
    var cards = 0
    for case .enroll(_, let card, _) in events.map(\.action) {
      cards += 1
      #expect(CardKind.card(for: card) != nil, "\(card)")
    }
    #expect(cards > 2_000)
  }

  /// The swarm's plan is the seed's: the same seed, the same chain and faults.
  @Test func aSwarmSeedIsItsChain() {
    let a = ChainTraffic.swarm(seed: 77)
    let b = ChainTraffic.swarm(seed: 77)
    #expect(a.planDescription == b.planDescription)
    #expect(a.events().map { "\($0.at) \($0.action)" } == b.events().map { "\($0.at) \($0.action)" })
    #expect(ChainTraffic.swarm(seed: 78).planDescription != a.planDescription)
  }
}

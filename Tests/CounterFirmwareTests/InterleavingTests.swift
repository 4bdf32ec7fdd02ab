import CardEmulation
import CounterFirmware
import CounterRuntime
import CounterSimulation
import Foundation
import Logging
import LoyaltyCore
import PointsCache
import Testing

/// A gate a storage call waits at until the test opens it.
actor Gate {
  private var open = false
  private var waiting: [CheckedContinuation<Void, Never>] = []
  private(set) var arrivals = 0

  func pass() async {
    arrivals += 1
    guard !open else { return }
    await withCheckedContinuation { waiting.append($0) }
  }

  func release() {
    open = true
    for w in waiting { w.resume() }
    waiting = []
  }
}

/// The real cache behind gates: a look-up or a write starts, then waits for the test.
struct GatedStorage: CounterStorage {
  let inner: PointsCacheStorage
  let lookUps = Gate()
  let writes = Gate()

  func program() async throws -> LoyaltyProgram { try await inner.program() }
  func isStandAlone() async throws -> Bool { try await inner.isStandAlone() }
  func identify(card: CardID, at: UTCInstant) async throws -> CardholderView {
    await lookUps.pass()
    return try await inner.identify(card: card, at: at)
  }
  func receipt(_ number: String, terminal: String, card: CardID?, at: UTCInstant) async throws -> ReceiptStatus {
    try await inner.receipt(number, terminal: terminal, card: card, at: at)
  }
  /// Checks (dry runs) pass; writes wait at the gate.
  func perform(_ operation: CounterOperation, context: OperationContext, dryRun: Bool) async throws -> RecordOutcome {
    if !dryRun { await writes.pass() }
    return try await inner.perform(operation, context: context, dryRun: dryRun)
  }
}

/// What happens when the card, the clock or the keypad acts while storage is still working —
/// the cases a one-input-at-a-time test cannot see.
@Suite("Inputs while storage works")
struct InterleavingTests {
  let fixture: CounterFixture
  let storage: GatedStorage
  let counter: SimulatedCounter

  init() throws {
    fixture = try CounterFixture()
    storage = GatedStorage(inner: PointsCacheStorage(cache: fixture.cache))
    counter = try SimulatedCounter(
      terminal: "T01", storage: storage, cache: fixture.cache,
      clock: ManualCounterClock(CounterFixture.start.adding(seconds: 60)), logger: Logger(label: "test"))
  }

  /// Tap (look-up released), a basket of 12.50 fresh, to the confirm screen.
  func toConfirm() async throws {
    await storage.lookUps.release()
    await counter.tap(LoyaltyAppletCard(number: CounterFixture.known))
    await counter.press(.purchase)
    let categories = CounterFirmware.categories(of: try fixture.cache.program())
    await counter.press(.digit(categories.firstIndex(of: "fresh")! + 1))
    await counter.type(1250)
    await counter.press(.ok, .ok)
    #expect(await counter.firmware.state.name == "confirm")
  }

  func balance() throws -> Int64 {
    try fixture.cache.identify(card: CounterFixture.known, at: counter.clock.now).balance
  }

  func neverSaidNothingRecorded() -> Bool {
    !counter.display.history.contains { $0.lines.contains("Nothing recorded") }
  }

  @Test(arguments: ["card lifted", "timeout", "cancel key", "another card", "a scan"])
  func whileTheWriteIsInFlightNothingClaimsNothingRecorded(_ what: String) async throws {
    try await toConfirm()
    await counter.firmware.handle(.key(.ok))  // the write starts and waits at the gate
    #expect(await counter.firmware.state.name == "recording")
    #expect(counter.display.current.lines[0] == "Recording...")
    switch what {
    case "card lifted":
      await counter.firmware.handle(.cardRemoved)
    case "timeout":
      counter.clock.advance(seconds: 61)
      await counter.firmware.handle(.tick)
    case "cancel key":
      await counter.firmware.handle(.key(.cancel))
    case "another card":
      let other = await counter.watcher.read(reader: SimulatedCounter.reader, atr: [], seen: .now)
      await counter.firmware.handle(.tap(other))
    default:
      await counter.firmware.handle(.scan("R999"))
    }
    #expect(await counter.firmware.state.name == "recording", "\(what) during the write")
    #expect(neverSaidNothingRecorded())
    await storage.writes.release()
    await counter.firmware.settle()
    guard case .message(let m) = await counter.firmware.state else {
      Issue.record("no outcome shown after \(what)")
      return
    }
    #expect(m.kind == .receipt, "\(m)")
    #expect(counter.display.current.lines[0] == "+50 points")
    #expect(try balance() == 50)
    #expect(neverSaidNothingRecorded())
  }

  @Test func aCardLiftedBeforeOKStillRecordsNothing() async throws {
    try await toConfirm()
    await counter.remove()
    // Nothing recorded; the basket waits for the same card's next tap.
    #expect(counter.display.current.lines == ["Card removed", "Sale kept: tap the", "same card again.", ""])
    await storage.writes.release()
    await counter.firmware.handle(.key(.ok))
    await counter.firmware.settle()
    #expect(try balance() == 0)
    #expect(await storage.writes.arrivals == 0, "no write was started")
  }

  @Test func aLookUpAnsweredAfterTheCardLeftIsIgnored() async throws {
    let tap = Task { await counter.tap(LoyaltyAppletCard(number: CounterFixture.known)) }
    while await storage.lookUps.arrivals == 0 { await Task.yield() }
    #expect(await counter.firmware.state.name == "reading")
    await counter.firmware.handle(.cardRemoved)
    #expect(await counter.firmware.state.name == "idle")
    await storage.lookUps.release()
    await tap.value
    await counter.firmware.settle()
    #expect(await counter.firmware.state.name == "idle", "a stale answer must not bring the card back")
  }

  @Test func aRefusedWriteShowsTheRefusalNotNothingRecorded() async throws {
    try await toConfirm()
    // Between the check and the write, the same card earns at this till another way (the CLI):
    // the write is refused as a repeat.
    _ = try fixture.cache.earn(
      card: CounterFixture.known, lines: [PurchaseLine(category: "other", amount: 100)], receipt: "X1",
      context: OperationContext(terminal: "T01", operator: "cli", at: counter.clock.now))
    await counter.firmware.handle(.key(.ok))
    await counter.firmware.handle(.cardRemoved)
    await storage.writes.release()
    await counter.firmware.settle()
    guard case .message(let m) = await counter.firmware.state else {
      Issue.record("no outcome")
      return
    }
    #expect(m.kind == .refused && m.reason?.contains("tapped here") == true, "\(m)")
    #expect(!neverSaidNothingRecorded() == false)
    // The basket waits for the card's next tap, and is recorded then.
    #expect(await counter.firmware.openSale?.card?.text == CounterFixture.known)
  }
}

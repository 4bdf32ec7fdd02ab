import CardEmulation
import CounterFirmware
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
  func identify(card: String, at: UTCInstant) async throws -> CardholderView {
    await lookUps.pass()
    return try await inner.identify(card: card, at: at)
  }
  func enroll(card: String, referrer: String?, context: OperationContext) async throws -> String {
    await writes.pass()
    return try await inner.enroll(card: card, referrer: referrer, context: context)
  }
  func earn(card: String, lines: [PurchaseLine], receipt: String?, provisional: Bool, context: OperationContext)
    async throws -> EarnReceipt
  {
    await writes.pass()
    return try await inner.earn(
      card: card, lines: lines, receipt: receipt, provisional: provisional, context: context)
  }
  func redeem(card: String, item: String, context: OperationContext) async throws -> (points: Int64, balance: Int64) {
    await writes.pass()
    return try await inner.redeem(card: card, item: item, context: context)
  }
  func refund(receipt: String, amount: Int64, context: OperationContext) async throws -> (
    reversed: Int64, balance: Int64
  ) {
    await writes.pass()
    return try await inner.refund(receipt: receipt, amount: amount, context: context)
  }
  func block(card: String, context: OperationContext) async throws {
    await writes.pass()
    try await inner.block(card: card, context: context)
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
    #expect(counter.display.current.lines == ["Card removed", "Nothing recorded", "", ""])
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
    await storage.lookUps.release()
    await counter.tap(LoyaltyAppletCard(number: CounterFixture.known))
    await counter.press(.redeem, .digit(1))
    #expect(await counter.firmware.state.name == "confirm")
    await counter.firmware.handle(.key(.ok))
    await counter.firmware.handle(.cardRemoved)
    await storage.writes.release()
    await counter.firmware.settle()
    guard case .message(let m) = await counter.firmware.state else {
      Issue.record("no outcome")
      return
    }
    #expect(m.kind == .refused && m.reason?.contains("balance") == true, "\(m)")
  }
}

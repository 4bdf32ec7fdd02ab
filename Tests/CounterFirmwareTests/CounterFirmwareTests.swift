import CardEmulation
import CardReader
import CounterFirmware
import CounterRuntime
import CounterSimulation
import Foundation
import HexCoding
import Logging
import LoyaltyCore
import PointsCache
import SimulatedCardReader
import TestSupport
import Testing

/// A counter with a fresh cache holding the sample program, and one enrolled card.
struct CounterFixture {
  static let start = UTCInstant(parsing: "2026-11-02T09:00:00Z")!
  static let known = "6280001234567895"
  let counter: SimulatedCounter
  let cache: PointsCache

  /// `pendingDays` > 0 keeps purchases' points pending through that return window.
  init(pendingDays: Int = 0) throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("counter-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    cache = try PointsCache(path: dir.appendingPathComponent("cache.db").path)
    let json = try String(
      contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
        "../../sim/program.json"), encoding: .utf8
    ).replacingOccurrences(of: "\"expiryDays\": 365,", with: "\"expiryDays\": 365, \"pendingDays\": \(pendingDays),")
    let context = OperationContext(terminal: "T01", operator: "test", at: Self.start)
    try cache.loadProgram(try ProgramParser.parse(Data(json.utf8)), json: json, context: context)
    _ = try cache.enroll(card: Self.known, referrer: nil, context: context)
    counter = try SimulatedCounter(
      terminal: "T01", cache: cache, clock: ManualCounterClock(Self.start.adding(seconds: 60)),
      logger: Logger(label: "test"))
  }

  var state: CounterState { get async { await counter.firmware.state } }
  var balance: Int64 { get throws { try cache.identify(card: Self.known, at: counter.clock.now).balance } }
  var outboxCount: Int { get throws { try cache.outbox().count } }
}

@Suite("Counter firmware on the simulated reader")
struct CounterFirmwareTests {
  @Test func purchaseFromTapToReceipt() async throws {
    let f = try CounterFixture()
    let c = f.counter
    await c.tap(LoyaltyAppletCard(number: CounterFixture.known))
    guard case .identified(let view) = await f.state else {
      Issue.record("not identified")
      return
    }
    #expect(view.balance == 0 && view.tier == "Bronze")
    // The end of the number, as on receipts (the old screen cut the check digit off), and the tier.
    #expect(c.display.current.lines[0] == "****7895 0 pts")
    #expect(c.display.current.lines[1] == "Bronze, Silver in:")
    await c.press(.purchase)
    let categories = CounterFirmware.categories(of: try f.cache.program())
    await c.press(.digit(categories.firstIndex(of: "fresh")! + 1))
    await c.type(1250)
    #expect(c.display.current.lines[1] == "Amount 12.50 EUR")
    await c.press(.ok)  // line added
    #expect(c.display.current.lines[0] == "1 line 12.50 EUR")
    await c.press(.ok)  // basket done
    #expect(c.display.current.lines[0] == "Total 12.50 EUR?")
    guard case .confirm(.purchase(_, let lines, _, _, _), _) = await f.state else {
      Issue.record("no confirm")
      return
    }
    #expect(lines == [PurchaseLine(category: "fresh", amount: 1250)])
    #expect(try f.outboxCount == 1, "nothing recorded before OK (the enrolment only)")
    await c.press(.ok)
    guard case .message(let m) = await f.state else {
      Issue.record("no receipt")
      return
    }
    #expect(m.kind == .receipt)
    // fresh ×2 rate, ×2 promotion in November: 12.50 → 50 points.
    #expect(try f.balance == 50)
    #expect(c.display.current.lines[0] == "+50 points")
    #expect(c.indicator.history.last == .success)
    await c.remove()
    #expect(await f.state.name == "idle")
  }

  @Test func cardPulledBeforeConfirmRecordsNothing() async throws {
    let f = try CounterFixture()
    let c = f.counter
    await c.tap(LoyaltyAppletCard(number: CounterFixture.known))
    await c.press(.purchase, .digit(1))
    await c.type(5000)
    await c.press(.ok, .ok)
    #expect(await f.state.name == "confirm")
    await c.remove()
    guard case .message(let m) = await f.state else {
      Issue.record("no message")
      return
    }
    #expect(m.kind == .cardRemoved)
    await c.press(.ok)  // a late OK must not record anything
    #expect(try f.balance == 0 && f.outboxCount == 1)
  }

  @Test func redeemWithTooFewPointsOffersNothingAndTheLoopGoesOn() async throws {
    let f = try CounterFixture()
    let c = f.counter
    await c.tap(LoyaltyAppletCard(number: CounterFixture.known))
    await c.press(.redeem)  // balance 0: the menu lists nothing the balance cannot pay
    #expect(c.display.current.lines[1] == "Not enough points")
    await c.press(.digit(1))
    #expect(await f.state.name == "redeemMenu", "refused before any confirm")
    #expect(c.display.current.lines[3] == "C=back")
    await c.press(.cancel)
    #expect(await f.state.name == "identified", "back to the cardholder")
    await c.remove()
    await c.press(.ok)
    #expect(await f.state.name == "idle")
    #expect(try f.outboxCount == 1, "the enrolment only")
  }

  @Test func unknownCardIsEnrolledWithAReferrer() async throws {
    let f = try CounterFixture()
    let c = f.counter
    await c.tap(UIDCard(uid: [0x04, 0xA1, 0xB2, 0xC3, 0xD4, 0xE5, 0xF6]))
    guard case .unknownCard(let card, nil) = await f.state else {
      Issue.record("not unknown")
      return
    }
    #expect(card.text == "04A1B2C3D4E5F6" && card.kind == .uid)
    await c.scan(CounterFixture.known)
    await c.press(.ok, .ok)
    guard case .message(let m) = await f.state, m.kind == .receipt else {
      Issue.record("not enrolled")
      return
    }
    #expect(try f.cache.identify(card: card.text, at: c.clock.now).account.isEmpty == false)
  }

  /// One UID card in about 280 is digits only; each enrols and earns like any other.
  @Test func uidsOfDigitsOnlyEnrolAndEarnAtTheCounter() async throws {
    let f = try CounterFixture()
    let c = f.counter
    for uid in RandomUIDs.make(count: 12, seed: 9).filter(RandomUIDs.isDigitsOnly) {
      await c.tap(UIDCard(uid: uid))
      #expect(c.display.current.lines[0] == "New card ****\(Hex.encode(uid).suffix(4))")
      await c.press(.ok, .ok)
      #expect(c.display.current.lines[0] == "Welcome!", "\(Hex.encode(uid)): \(c.display.current.lines)")
      await c.press(.purchase)  // the card is still on the reader
      await c.press(.digit(1))
      await c.type(1000)
      await c.press(.ok, .ok, .ok)
      #expect(c.display.current.lines[0].hasPrefix("+"), "\(c.display.current.lines)")
      #expect(try f.cache.identify(card: Hex.encode(uid), at: c.clock.now).balance > 0)
      await c.remove()
      c.clock.advance(seconds: 10)
    }
  }

  @Test func blockedAndUnreadableCardsAreMessagesNotErrors() async throws {
    let f = try CounterFixture()
    let c = f.counter
    await c.press(.block)
    await c.scan(CounterFixture.known)
    await c.press(.ok, .ok)
    await c.press(.ok)
    await c.tap(LoyaltyAppletCard(number: CounterFixture.known))
    guard case .message(let blocked) = await f.state else {
      Issue.record("no message")
      return
    }
    #expect(blocked.kind == .blocked)
    await c.remove()
    await c.tap(UIDCard(uid: [4, 1, 2, 3]), faults: [.removedDuringCommand(1)])
    guard case .message(let unreadable) = await f.state else {
      Issue.record("no message")
      return
    }
    #expect(unreadable.kind == .unreadable)
    await c.remove()
    #expect(await f.state.name == "idle")
  }

  @Test func refundByScannedReceipt() async throws {
    let f = try CounterFixture()
    let c = f.counter
    await c.tap(LoyaltyAppletCard(number: CounterFixture.known))
    await c.press(.purchase)
    await c.scan("R1")
    await c.press(.digit(1))
    await c.type(2000)
    await c.press(.ok, .ok, .ok)
    await c.remove()
    let before = try f.balance
    await c.press(.refund)
    await c.scan("R1")
    // The receipt's amount and what is left to refund, before the amount is typed.
    #expect(
      c.display.current.lines == ["Receipt T01/R1", "Left 20.00 of 20.00", "Refund 0.00 EUR", "<=del OK=next C=end"])
    await c.type(1000)
    await c.press(.ok)
    #expect(c.display.current.lines[2] == "-\(before / 2) points", "the reversal before OK")
    await c.press(.ok)
    guard case .message(let m) = await f.state, m.kind == .receipt else {
      Issue.record("refund not recorded")
      return
    }
    #expect(try f.balance == before / 2)
    await c.press(.refund)
    await c.scan("R1")
    #expect(c.display.current.lines[1] == "Left 10.00 of 20.00")
    await c.type(1001)  // more than is left: refused before any confirm
    await c.press(.ok)
    #expect(c.display.current.lines[0] == "Refused")
    #expect(c.display.current.lines[1] == "Refund of 10.01 EUR", "\(c.display.current.lines)")
    await c.press(.ok, .ok, .refund)
    await c.scan("NOPE")  // refused at the scan: nothing to type an amount for
    guard case .message(let refused) = await f.state else {
      Issue.record("no message")
      return
    }
    #expect(refused.kind == .refused && refused.reason?.contains("NOPE") == true)
  }

  @Test func screensTimeOutBackToIdleOnTheInjectedClock() async throws {
    let f = try CounterFixture()
    let c = f.counter
    await c.tap(LoyaltyAppletCard(number: CounterFixture.known))
    await c.press(.purchase)
    c.clock.advance(seconds: 59)
    await c.firmware.handle(.tick)
    #expect(await f.state.name == "basket")
    c.clock.advance(seconds: 1)
    await c.firmware.handle(.tick)
    guard case .message(let m) = await f.state else {
      Issue.record("no timeout")
      return
    }
    #expect(m.kind == .timedOut)
    c.clock.advance(seconds: 8)
    await c.firmware.handle(.tick)
    #expect(await f.state.name == "idle")
    #expect(try f.outboxCount == 1)
  }

  @Test func screensFitTheDisplay() async throws {
    let f = try CounterFixture()
    let c = f.counter
    await c.press(.refund)
    await c.scan(String(repeating: "X", count: 200))
    await c.type(123_456_789)
    await c.press(.ok, .ok)
    for screen in c.display.history {
      #expect(screen.lines.count == 4 && screen.lines.allSatisfy { $0.count <= 20 })
    }
  }
}

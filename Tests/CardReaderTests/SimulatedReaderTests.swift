import CardEmulation
import CardIdentification
import CardReader
import Clocks
import ConcurrencyExtras
import SimulatedCardReader
import Synchronization
import Testing

@Suite("Simulated reader: events, sessions and every fault")
struct SimulatedReaderTests {
  let reader = "Sim 0"
  let applet = LoyaltyAppletCard(number: "6280001234567895")

  @Test func streamStartsWithTheCurrentStateThenFollowsChanges() async throws {
    let system = SimulatedCardReaderSystem(readers: [reader])
    system.insert(applet, into: reader)
    var events = system.events().makeAsyncIterator()
    #expect(await events.next() == .readerAdded(reader: reader))
    #expect(await events.next() == .cardInserted(reader: reader, atr: applet.atr))
    system.remove(from: reader)
    #expect(await events.next() == .cardRemoved(reader: reader))
    system.addReader("Sim 1")
    #expect(await events.next() == .readerAdded(reader: "Sim 1"))
    system.insert(applet, into: "Sim 1")
    system.removeReader("Sim 1")
    #expect(await events.next() == .cardInserted(reader: "Sim 1", atr: applet.atr))
    #expect(await events.next() == .cardRemoved(reader: "Sim 1"))
    #expect(await events.next() == .readerRemoved(reader: "Sim 1"))
    #expect(try await system.readers() == [ReaderStatus(name: reader, atr: nil)])
  }

  @Test func connectFailsWithoutACardOrReader() async {
    let system = SimulatedCardReaderSystem(readers: [reader])
    await #expect(throws: CardReaderError(.noCard, "no card in \(reader)")) { try await system.connect(reader: reader) }
    let error = await #expect(throws: CardReaderError.self) { try await system.connect(reader: "nope") }
    #expect(error?.kind == .readerUnavailable)
  }

  @Test func cardPulledMidAPDUFailsThatCommandAndEmitsRemoval() async throws {
    let system = SimulatedCardReaderSystem(readers: [reader])
    system.insert(applet, into: reader, faults: [.removedDuringCommand(2)])
    var events = system.events().makeAsyncIterator()
    _ = await events.next()
    _ = await events.next()
    let session = try await system.connect(reader: reader)
    let select = try await session.transmit(.selectApplication(LoyaltyAppletCard.aid))
    #expect(select.statusWord == .success)
    let error = await #expect(throws: CardReaderError.self) {
      try await session.transmit(try .readBinary(offset: 0, length: 256))
    }
    #expect(error?.kind == .cardRemoved)
    #expect(await events.next() == .cardRemoved(reader: reader))
    // The session stays dead even if a new card arrives in the same reader.
    system.insert(applet, into: reader)
    await #expect(throws: CardReaderError.self) { try await session.transmit(.getUID) }
  }

  @Test func slowCardAnswersAfterItsDelayOnTheInjectedClock() async throws {
    let clock = TestClock()
    let system = SimulatedCardReaderSystem(readers: [reader], clock: clock, transmitTimeout: .seconds(2))
    system.insert(applet, into: reader, faults: [.slow(.milliseconds(500))])
    let session = try await system.connect(reader: reader)
    let done = Atomic<Bool>(false)
    let answer = Task {
      defer { done.store(true, ordering: .sequentiallyConsistent) }
      return try await session.transmit(.getUID)
    }
    await untilSleeping(clock)
    await clock.advance(by: .milliseconds(499))
    await Task.megaYield()
    let answeredEarly = done.load(ordering: .sequentiallyConsistent)
    #expect(!answeredEarly, "answered before its delay")
    await clock.advance(by: .milliseconds(1))
    let response = try await answer.value
    #expect(response.data == applet.uid)
  }

  @Test func slowerThanTheTimeoutAndMuteCardsTimeOut() async throws {
    for fault in [SimulatedFault.slow(.seconds(5)), .mute] {
      let clock = TestClock()
      let system = SimulatedCardReaderSystem(readers: [reader], clock: clock, transmitTimeout: .seconds(2))
      system.insert(applet, into: reader, faults: [fault])
      let session = try await system.connect(reader: reader)
      let answer = Task { try await session.transmit(.getUID) }
      await untilSleeping(clock)
      await clock.advance(by: .seconds(2))
      let result = await answer.result
      #expect(throws: CardReaderError.self) { try result.get() }
      if case .failure(let error) = result { #expect((error as? CardReaderError)?.kind == .timeout) }
    }
  }

  @Test func cardTakenAwayDuringASlowAnswerIsReportedRemoved() async throws {
    let clock = TestClock()
    let system = SimulatedCardReaderSystem(readers: [reader], clock: clock)
    system.insert(applet, into: reader, faults: [.slow(.milliseconds(300))])
    let session = try await system.connect(reader: reader)
    let answer = Task { try await session.transmit(.getUID) }
    await untilSleeping(clock)
    system.remove(from: reader)
    await clock.advance(by: .milliseconds(300))
    if case .failure(let error) = await answer.result {
      #expect((error as? CardReaderError)?.kind == .cardRemoved)
    } else {
      Issue.record("a removed card answered")
    }
  }

  @Test func noATRMakesTheCardUnresponsive() async {
    let system = SimulatedCardReaderSystem(readers: [reader])
    system.insert(applet, into: reader, faults: [.noATR])
    var events = system.events().makeAsyncIterator()
    _ = await events.next()
    #expect(await events.next() == .cardUnresponsive(reader: reader))
    let error = await #expect(throws: CardReaderError.self) { try await system.connect(reader: reader) }
    #expect(error?.kind == .cardUnresponsive)
  }

  @Test func malformedATRIsReportedAsIsAndRefusedByIdentification() async throws {
    let system = SimulatedCardReaderSystem(readers: [reader])
    system.insert(applet, into: reader, faults: [.malformedATR([0x3B, 0x8F, 0x80])])
    let session = try await system.connect(reader: reader)
    #expect(session.atr == [0x3B, 0x8F, 0x80])
    let identifier = CardIdentifier(profiles: CardProfiles.builtIn())
    let error = await #expect(throws: CardIdentificationError.self) { try await identifier.identify(session) }
    #expect(error?.reason == .malformedATR)
  }

  @Test(arguments: [0, 1])
  func truncatedResponsesAreMalformed(_ keep: Int) async throws {
    let system = SimulatedCardReaderSystem(readers: [reader])
    system.insert(applet, into: reader, faults: [.truncatedResponses(keep)])
    let session = try await system.connect(reader: reader)
    let error = await #expect(throws: CardReaderError.self) { try await session.transmit(.getUID) }
    #expect(error?.kind == .malformedResponse)
  }

  @Test func oversizedResponsesAreMalformed() async throws {
    let system = SimulatedCardReaderSystem(readers: [reader])
    system.insert(NDEFTagCard.text("6280001234567895"), into: reader, faults: [.oversizedResponses(40)])
    let session = try await system.connect(reader: reader)
    _ = try await session.transmit(.selectApplication(NDEFTagCard.aid))
    _ = try await session.transmit(.selectFile(0xE103))
    let error = await #expect(throws: CardReaderError.self) {
      try await session.transmit(try .readBinary(offset: 0, length: 15))
    }
    #expect(error?.kind == .malformedResponse)
  }

  @Test func wrongStatusWordsReachTheCaller() async throws {
    let system = SimulatedCardReaderSystem(readers: [reader])
    system.insert(applet, into: reader, faults: [.wrongStatusWord(.securityStatusNotSatisfied, ins: 0xB0)])
    let session = try await system.connect(reader: reader)
    #expect(try await session.transmit(.selectApplication(LoyaltyAppletCard.aid)).statusWord == .success)
    #expect(
      try await session.transmit(try .readBinary(offset: 0, length: 256)).statusWord == .securityStatusNotSatisfied)
  }

  @Test func scriptedTapsFollowTheInjectedClock() async throws {
    let clock = TestClock()
    let system = SimulatedCardReaderSystem(readers: [reader], clock: clock)
    var events = system.events().makeAsyncIterator()
    _ = await events.next()
    let player = Task {
      try await system.play([SimulatedTap(card: applet, hold: .seconds(1), gap: .seconds(1))], on: reader)
    }
    #expect(await events.next() == .cardInserted(reader: reader, atr: applet.atr))
    #expect(try await system.readers().first?.atr == applet.atr)
    await untilSleeping(clock)
    await clock.advance(by: .seconds(1))
    #expect(await events.next() == .cardRemoved(reader: reader))
    await untilSleeping(clock)
    await clock.advance(by: .seconds(1))
    try await player.value
  }

  @Test func disconnectedSessionRefusesCommands() async throws {
    let system = SimulatedCardReaderSystem(readers: [reader])
    system.insert(applet, into: reader)
    let session = try await system.connect(reader: reader)
    await session.disconnect()
    let error = await #expect(throws: CardReaderError.self) { try await session.transmit(.getUID) }
    #expect(error?.kind == .sessionClosed)
  }
}

/// Waits until a task sleeps on `clock`, so the next advance reaches that sleep. (Yielding a fixed
/// number of times is not enough on a loaded 2-core machine: a sleep registered after the
/// advance would wait for ever, and the test run with it.)
func untilSleeping(_ clock: TestClock<Duration>) async {
  while (try? await clock.checkSuspension()) != nil {}
}

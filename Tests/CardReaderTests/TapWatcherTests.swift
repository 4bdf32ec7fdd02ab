import CardEmulation
import CardIdentification
import CardReader
import SimulatedCardReader
import Testing

@Suite("The reader loop on the simulated reader")
struct TapWatcherTests {
  @Test func badCardsDoNotStopTheLoopAndTwoReadersWorkAtOnce() async throws {
    let system = SimulatedCardReaderSystem(readers: ["A", "B"])
    let watcher = TapWatcher(system: system, identifier: CardIdentifier(profiles: CardProfiles.builtIn()))
    var taps = watcher.events().makeAsyncIterator()
    func nextTap() async -> TapResult? {
      while let event = await taps.next() {
        if case .tap(let t) = event { return t }
      }
      return nil
    }
    system.insert(LoyaltyAppletCard(number: "6280001234567890"), into: "A")
    let bad = try #require(await nextTap())
    #expect(bad.reader == "A")
    #expect(throws: CardIdentificationError.self) { try bad.outcome.get() }
    system.insert(UIDCard(uid: [4, 1, 2, 3]), into: "A", faults: [.noATR])
    let mute = try #require(await nextTap())
    #expect(throws: CardIdentificationError.self) { try mute.outcome.get() }

    system.insert(LoyaltyAppletCard(number: "6280001234567895"), into: "A")
    system.insert(NDEFTagCard.text("4000001234567899"), into: "B")
    var seen: [String: String] = [:]
    for _ in 0..<2 {
      let tap = try #require(await nextTap())
      seen[tap.reader] = try tap.outcome.get().id
    }
    #expect(seen == ["A": "6280001234567895", "B": "4000001234567899"])
  }

  @Test func readerFilterIgnoresOtherReaders() async throws {
    let system = SimulatedCardReaderSystem(readers: ["A", "B"])
    let watcher = TapWatcher(
      system: system, identifier: CardIdentifier(profiles: CardProfiles.builtIn()), readerFilter: "B")
    var taps = watcher.events().makeAsyncIterator()
    system.insert(LoyaltyAppletCard(number: "6280001234567895"), into: "A")
    system.insert(UIDCard(uid: [4, 1, 2, 3]), into: "B")
    while let event = await taps.next() {
      guard case .tap(let tap) = event else { continue }
      #expect(tap.reader == "B")
      #expect(try tap.outcome.get().id == "04010203")
      break
    }
  }

  @Test func aCardTakenAwayIsReported() async throws {
    let system = SimulatedCardReaderSystem(readers: ["A"])
    let watcher = TapWatcher(system: system, identifier: CardIdentifier(profiles: CardProfiles.builtIn()))
    var events = watcher.events().makeAsyncIterator()
    system.insert(UIDCard(uid: [4, 1, 2, 3]), into: "A")
    while let event = await events.next() {
      if case .tap = event { break }
    }
    system.remove(from: "A")
    while let event = await events.next() {
      if case .status(.cardRemoved(let reader)) = event {
        #expect(reader == "A")
        return
      }
    }
    Issue.record("no removal reported")
  }
}

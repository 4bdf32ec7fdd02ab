import CPCSCLite
import CardEmulation
import CardIdentification
import CardReader
import Foundation
import HexCoding
import PCSCCardReader
import TestSupport
import Testing
import VirtualCard

/// Everything that needs pcscd, one test at a time: each test starts its own pcscd and stops it,
/// and two pcscd cannot share vpcd's ports.
@Suite(
  "Against pcscd + vpcd", .serialized,
  .enabled(if: PCSCDaemon.isAvailable, "pcscd/vpcd not installed: run the README's test command"))
struct LiveStack {}

/// The reader layer against the real stack: pcscd, vpcd, and virtual cards over TCP.
extension LiveStack {
  @Suite("Live PC/SC reader")
  struct LivePCSCTests {
    func withDaemon(_ body: (PCSCDaemon) async throws -> Void) async throws {
      let daemon = try await PCSCDaemon.start()
      defer { daemon.stop() }
      try await body(daemon)
    }

    func tapRecorder(_ system: any CardReaderSystem, reader: String? = nil) -> EventRecorder<WatchEvent> {
      EventRecorder(TapWatcher(system: system, identifier: Live.identifier, readerFilter: reader).events())
    }

    func nextTap(_ recorder: EventRecorder<WatchEvent>, within: Duration = .seconds(10)) async throws -> TapResult {
      let event = try await recorder.next("a tap", within: within) { if case .tap = $0 { true } else { false } }
      guard case .tap(let tap) = event else { fatalError() }
      return tap
    }

    @Test func listsBothVirtualReadersAndTheCardInOne() async throws {
      try await withDaemon { _ in
        let system = Live.system()
        let card = Live.card(UIDCard(uid: [0x04, 0xA1, 0xB2, 0xC3]), slot: 1)
        try card.insert()
        defer { card.remove() }
        let events = EventRecorder(system.events())
        defer { Task { await events.stop() } }
        _ = try await events.next("the card in slot 1") {
          $0 == .cardInserted(reader: Live.slot1, atr: ATR.storageCard(cardName: 1))
        }
        let readers = try await system.readers()
        #expect(readers.map(\.name) == [Live.slot0, Live.slot1])
        #expect(readers[0].atr == nil)
        #expect(readers[1].atr == ATR.storageCard(cardName: 1))
      }
    }

    static let kinds: [(CardKind, String, String, IdentificationMethod)] = [
      (.applet, "6280001234567895", "6280001234567895", .applet),
      (.ndef, "4000001234567899", "4000001234567899", .ndef),
      (.ndef, "https://loyalty.example/c/5555444433332226", "5555444433332226", .ndef),
      (.uid, "04A1B2C3", "04A1B2C3", .uid),
      (.uid, "04A1B2C3D4E5F6", "04A1B2C3D4E5F6", .uid),
    ]

    @Test(arguments: kinds)
    func identifiesEachCardKind(_ kind: CardKind, _ value: String, _ expected: String, _ source: IdentificationMethod)
      async throws
    {
      try await withDaemon { _ in
        let taps = tapRecorder(Live.system())
        defer { Task { await taps.stop() } }
        let card = Live.card(try kind.makeCard(id: value))
        try card.insert()
        defer { card.remove() }
        let tap = try await nextTap(taps)
        let identity = try tap.outcome.get()
        #expect(identity.id == expected)
        #expect(identity.source == source)
        #expect(tap.reader == Live.slot0)
        #expect(tap.elapsed < .seconds(1))
      }
    }

    @Test func refusesBadCardsAndKeepsGoing() async throws {
      try await withDaemon { _ in
        let taps = tapRecorder(Live.system())
        defer { Task { await taps.stop() } }
        let cases: [(any EmulatedCard, CardIdentificationError.Reason)] = [
          (LoyaltyAppletCard(number: "6280001234567890"), .luhnCheckFailed),
          (UIDCard(uid: [0x08, 0x3C, 0x11, 0x9A]), .randomUID),
          (NDEFTagCard.text("not a number"), .nonDigitNumber),
        ]
        for (emulated, reason) in cases {
          let card = Live.card(emulated)
          try card.insert()
          let tap = try await nextTap(taps)
          card.remove()
          #expect(throws: CardIdentificationError.self) { try tap.outcome.get() }
          if case .failure(let error) = tap.outcome { #expect(error.reason == reason, "\(error.message)") }
        }
        let good = Live.card(LoyaltyAppletCard(number: "6280001234567895"))
        try good.insert()
        defer { good.remove() }
        #expect(try await nextTap(taps).outcome.get().id == "6280001234567895")
      }
    }

    /// A busy counter: one card taken away and the next tapped at once, within one pcscd poll,
    /// alternating a 20-byte storage-card ATR and a 12-byte applet ATR. pcsc-lite can report the
    /// previous card's ATR zero-padded to 33 bytes right after connect; every tap must still be read.
    @Test func cardsSwappedBackToBackAreEachRead() async throws {
      try await withDaemon { _ in
        let taps = tapRecorder(Live.system())
        defer { Task { await taps.stop() } }
        var previous: VirtualCard?
        for i in 0..<12 {
          let (emulated, expected): (any EmulatedCard, String) =
            i.isMultiple(of: 2)
            ? (UIDCard(uid: [0x04, 0x5A, 0x00, UInt8(i)]), "045A00" + Hex.encode([UInt8(i)]))
            : (LoyaltyAppletCard(number: "6280001234567895"), "6280001234567895")
          let card = Live.card(emulated)
          previous?.remove()
          try card.insert()  // no wait for the removal: the swap lands inside one poll
          previous = card
          let tap = try await nextTap(taps)
          #expect(try tap.outcome.get().id == expected, "swap \(i)")
        }
        previous?.remove()
      }
    }

    @Test func cardPulledMidExchangeIsAReaderErrorThenTheNextTapWorks() async throws {
      try await withDaemon { _ in
        let system = Live.system()
        let taps = tapRecorder(system)
        let events = EventRecorder(system.events())
        defer {
          Task {
            await taps.stop()
            await events.stop()
          }
        }
        let pulled = Live.card(LoyaltyAppletCard(number: "6280001234567895"), pullOnCommand: 2)
        try pulled.insert()
        let tap = try await nextTap(taps)
        pulled.remove()
        guard case .failure(let error) = tap.outcome else {
          Issue.record("a card pulled mid-exchange was identified")
          return
        }
        #expect(error.reason == .readerError)
        // pcscd reports REMOVED_CARD once its poll saw the card go; before that vpcd hands back an
        // empty answer, which the session classifies as an unresponsive card.
        #expect([.cardRemoved, .noCard, .cardUnresponsive].contains(error.readerError?.kind), "\(error.message)")
        // As at a real counter, the next card comes once this one has gone: vpcd takes a few of
        // pcscd's polls to notice a connection that dropped mid-command.
        _ = try await events.next("the pulled card's removal") { $0 == .cardRemoved(reader: Live.slot0) }
        let next = Live.card(UIDCard(uid: [0x04, 1, 2, 3]))
        try next.insert()
        defer { next.remove() }
        #expect(try await nextTap(taps).outcome.get().id == "04010203")
      }
    }

    @Test func twoReadersAtOnce() async throws {
      try await withDaemon { _ in
        let taps = tapRecorder(Live.system())
        defer { Task { await taps.stop() } }
        let a = Live.card(LoyaltyAppletCard(number: "6280001234567895"), slot: 0)
        let b = Live.card(NDEFTagCard.text("4000001234567899"), slot: 1)
        try a.insert()
        try b.insert()
        defer {
          a.remove()
          b.remove()
        }
        var seen: [String: String] = [:]
        for _ in 0..<2 {
          let tap = try await nextTap(taps)
          seen[tap.reader] = try tap.outcome.get().id
        }
        #expect(seen == [Live.slot0: "6280001234567895", Live.slot1: "4000001234567899"])
      }
    }

    /// The `watch` command as a child process: pcscd is killed and restarted under it, it
    /// identifies the next tap within 5 s of the restart, and Ctrl-C ends it cleanly.
    @Test func watchRecoversWhenPcscdIsKilledAndRestartedAndExitsCleanlyOnCtrlC() async throws {
      try await withDaemon { daemon in
        let binary = BuiltProducts.loyaltyTerminal
        try #require(FileManager.default.isExecutableFile(atPath: binary), "\(binary) not built")
        let watch = try ChildProcess(binary, ["watch", "--json"])
        let lines = EventRecorder(watch.lines)
        defer { Task { await lines.stop() } }
        func tapLine() async throws -> [String: Any] {
          let line = try await lines.next("a tap line from watch") { _ in true }
          return try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
        }
        let first = Live.card(UIDCard(uid: [0x04, 1, 2, 3]))
        try first.insert()
        #expect(try await tapLine()["id"] as? String == "04010203")

        daemon.kill()
        first.waitUntilRemoved()  // vpcd's socket went with pcscd
        try await daemon.restart()
        let restarted = ContinuousClock.now
        let second = Live.card(UIDCard(uid: [0x04, 4, 5, 6]))
        try second.insert()
        defer { second.remove() }
        let tap = try await tapLine()
        let recovery = ContinuousClock.now - restarted
        #expect(tap["id"] as? String == "04040506")
        #expect(recovery < .seconds(5), "recovered in \(recovery)")
        print("pcscd restart → watch identified the next tap in \(recovery)")

        let status = watch.stop(with: SIGINT)
        #expect(
          status == 0, "watch exited with status \(status.map(String.init) ?? "none (killed after 5 s)") on SIGINT")
      }
    }

    @Test func reconnectsAfterAnotherClientResetsTheCard() async throws {
      try await withDaemon { _ in
        let system = Live.system()
        let card = Live.card(LoyaltyAppletCard(number: "6280001234567895"))
        try card.insert()
        defer { card.remove() }
        let events = EventRecorder(system.events())
        defer { Task { await events.stop() } }
        _ = try await events.next("the card") { if case .cardInserted = $0 { true } else { false } }
        let session = try await system.connect(reader: Live.slot0)
        #expect(try await session.transmit(.getUID).statusWord == .success)

        // Another application connects and resets the card on its way out.
        var context: SCARDCONTEXT = 0
        #expect(SCardEstablishContext(UInt(SCARD_SCOPE_SYSTEM), nil, nil, &context) == 0)
        var other: SCARDHANDLE = 0
        var proto: UInt = 0
        #expect(
          SCardConnect(
            context, Live.slot0, UInt(SCARD_SHARE_SHARED), UInt(SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1), &other, &proto)
            == 0)
        #expect(SCardDisconnect(other, UInt(SCARD_RESET_CARD)) == 0)
        SCardReleaseContext(context)

        // Our session sees SCARD_W_RESET_CARD, reconnects and retries by itself.
        let identity = try await Live.identifier.identify(session)
        #expect(identity.id == "6280001234567895")
        await session.disconnect()
      }
    }

    @Test func watchCommandPrintsOneJSONLinePerTap() async throws {
      try await withDaemon { _ in
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
          .appendingPathComponent("loyalty-terminal")
        try #require(FileManager.default.isExecutableFile(atPath: binary.path), "\(binary.path) not built")
        // The stream starts with the current state, so the card can be in the field before watch starts.
        let card = Live.card(NDEFTagCard.uri("https://loyalty.example/c/5555444433332226"))
        try card.insert()
        defer { card.remove() }
        let (status, lines, _) = try runToCompletion(binary.path, ["watch", "--json", "--count", "1"])
        #expect(status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(lines.utf8)) as? [String: Any])
        #expect(object["id"] as? String == "5555444433332226")
        #expect(object["source"] as? String == "ndef")
        #expect(object["reader"] as? String == Live.slot0)
        #expect(object["cardType"] as? String == "nfc-type4-tag")
        #expect(object["atr"] as? String == Hex.encode(NDEFTagCard.text("").atr))
        #expect(object["elapsedMs"] is Double || object["elapsedMs"] is Int)
      }
    }

    /// Reader commands through the live binding, as far as vpcd allows: a pseudo-APDU reaches the
    /// virtual card (vpcd has no driver of its own to answer it: the card does, here "instruction
    /// not supported"); an escape over a direct connection is refused by vpcd, named, no crash.
    @Test func readerCommandsGoThroughTheLiveBindingAsFarAsVpcdAllows() async throws {
      try await withDaemon { _ in
        let system = Live.system()
        let card = Live.card(UIDCard(uid: [0x04, 0xA1, 0xB2, 0xC3]))
        try card.insert()
        defer { card.remove() }
        var answer: [UInt8] = []
        for _ in 0..<50 {
          if let a = try? await system.send(.pseudoAPDU([0xFF, 0x00, 0x48, 0x00, 0x00]), toReader: Live.slot0) {
            answer = a
            break
          }
          try await Task.sleep(for: .milliseconds(100))
        }
        #expect(answer.count == 2 && answer != [0x90, 0x00], "the virtual card's own answer: \(Hex.encode(answer))")
        let escape = await #expect(throws: CardReaderError.self) {
          try await system.send(.escape([0xE0, 0x00, 0x00, 0x18, 0x00]), toReader: Live.slot1)
        }
        print("vpcd and an escape command: \(escape.map { "\($0)" } ?? "accepted")")
      }
    }
  }
}

import CardEmulation
import CardReader
import CounterFirmware
import CounterRuntime
import CounterSimulation
import Logging
import SimulatedCardReader
import Testing

/// The reader's own beep and light: the exact bytes the built-in profiles make the counter send,
/// recorded by the simulated reader; the console when a reader has no profile or a command fails.
@Suite("Reader feedback")
struct ReaderFeedbackTests {
  let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
  let acr122 = "ACS ACR122U PICC Interface 00 00"
  let acr1252 = "ACS ACR1252 1S CL Reader [ACR1252 1S CL Reader(1)] 00 00"

  @Test func anACR122UGetsItsLEDAndBuzzerPseudoAPDUs() async throws {
    let system = SimulatedCardReaderSystem(readers: [acr122])
    system.insert(UIDCard(uid: [0x04, 0xA1, 0xB2, 0xC3]), into: acr122)
    let console = RecordingIndicator()
    let feedback = ReaderFeedbackIndicator(system: system, fallback: console, logger: logger)
    feedback.use(reader: acr122)
    for signal in [CounterSignal.success, .failure, .attention] { feedback.signal(signal) }
    await feedback.finish()
    #expect(
      system.readerControl.sent.map(\.command) == [
        .pseudoAPDU([0xFF, 0x00, 0x40, 0x2E, 0x04, 0x01, 0x01, 0x01, 0x01]),
        .pseudoAPDU([0xFF, 0x00, 0x40, 0x5D, 0x04, 0x02, 0x01, 0x02, 0x02]),
        .pseudoAPDU([0xFF, 0x00, 0x40, 0xF0, 0x04, 0x05, 0x05, 0x03, 0x00]),
      ])
    #expect(system.readerControl.sent.allSatisfy { $0.reader == acr122 })
    #expect(console.history.isEmpty)
  }

  @Test func anACR1252UGetsEscapesWithNoCardAndAnEmptyACR122UFallsBackToTheConsole() async throws {
    let system = SimulatedCardReaderSystem(readers: [acr1252, acr122, "Some Other Reader 00 00"])
    let console = RecordingIndicator()
    let feedback = ReaderFeedbackIndicator(system: system, fallback: console, logger: logger)
    feedback.use(reader: acr1252)
    feedback.signal(.failure)
    feedback.use(reader: acr122)  // no card in the field: its pseudo-APDU cannot go
    feedback.signal(.success)
    feedback.use(reader: "Some Other Reader 00 00")  // no profile
    feedback.signal(.attention)
    await feedback.finish()
    #expect(
      system.readerControl.sent.map(\.command) == [
        .escape([0xE0, 0x00, 0x00, 0x29, 0x01, 0x01]), .escape([0xE0, 0x00, 0x00, 0x28, 0x01, 0x14]),
        .escape([0xE0, 0x00, 0x00, 0x28, 0x01, 0x14]),
      ])
    #expect(console.history == [.success, .attention])
  }

  @Test func firmwareVersionsAreReadTheProfilesWay() async throws {
    let profiles = ReaderProfiles.builtIn
    #expect(profiles.profile(for: acr122)?.firmware == .pseudoAPDU([0xFF, 0x00, 0x48, 0x00, 0x00]))
    #expect(profiles.profile(for: acr1252)?.firmware == .escape([0xE0, 0x00, 0x00, 0x18, 0x00]))
    #expect(profiles.profile(for: "Virtual PCD 00 00") == nil)
    let system = SimulatedCardReaderSystem(readers: [acr1252])
    system.readerControl.answer(
      [0xE0, 0x00, 0x00, 0x18, 0x00], with: [0xE1, 0x00, 0x00, 0x00, 0x0A] + Array("ACR1252U10".utf8))
    let answer = try await system.send(.escape([0xE0, 0x00, 0x00, 0x18, 0x00]), toReader: acr1252)
    #expect(ReaderProfiles.firmwareText(answer) == "ACR1252U10")
    #expect(ReaderProfiles.firmwareText(Array("ACR122U207".utf8) + [0x90, 0x00]) == "ACR122U207")
  }
}

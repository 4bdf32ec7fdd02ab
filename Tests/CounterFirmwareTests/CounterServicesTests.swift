import CardEmulation
import CounterFirmware
import CounterRuntime
import CounterSimulation
import Logging
import ServiceLifecycle
import SimulatedCardReader
import Testing

/// The run loop as services, in process: a script's commands through `CounterInputService`, the
/// group ended by the end of the commands or by a graceful shutdown.
@Suite("The counter's run loop as services")
struct CounterServicesTests {
  let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

  /// The cashier's hand over the fixture's simulated reader.
  struct Hand: CounterHand {
    let readers: SimulatedCardReaderSystem
    var reader: String { SimulatedCounter.reader }
    func place(_ id: String) -> String? {
      readers.insert(LoyaltyAppletCard(number: id), into: reader)
      return nil
    }
    func atr() async -> [UInt8] { ((try? await readers.readers().first { $0.name == reader }?.atr) ?? nil) ?? [] }
    func remove() { readers.remove(from: reader) }
  }

  func group(_ f: CounterFixture, commands: AsyncStream<CounterCommand>) -> ServiceGroup {
    let c = f.counter
    return counterServiceGroup(
      taps: TapService(
        firmware: c.firmware, system: c.readers, watcher: c.watcher, watchesTaps: false, status: { _ in }),
      // An hour: the group must not wait for a tick to end.
      tick: TickService(firmware: c.firmware, every: .seconds(3600)),
      input: CounterInputService(
        commands: commands, firmware: c.firmware, script: true, scriptClock: c.clock,
        hand: Hand(readers: c.readers), watcher: c.watcher, status: { _ in }),
      logger: logger)
  }

  @Test func theEndOfTheCommandsEndsTheGroup() async throws {
    let f = try CounterFixture()
    let (commands, sink) = AsyncStream.makeStream(of: CounterCommand.self)
    for line in ["tap \(CounterFixture.known)", "press purchase", "wait 5"] {
      sink.yield(try #require(try CounterCommand.parse(line)))
    }
    sink.finish()
    try await group(f, commands: commands).run()
    #expect(f.counter.display.history.contains { $0.lines[0] == "****7895 0 pts" }, "the tap was played")
    #expect(f.counter.clock.now == CounterFixture.start.adding(seconds: 65), "wait moved the script's clock")
  }

  /// A graceful shutdown ends the group though the commands never end: the command in hand is
  /// done, no more are read.
  @Test func aGracefulShutdownStopsReadingCommands() async throws {
    let f = try CounterFixture()
    let (commands, sink) = AsyncStream.makeStream(of: CounterCommand.self)
    let group = group(f, commands: commands)
    let running = Task { try await group.run() }
    sink.yield(.tap(CounterFixture.known))
    while !f.counter.display.history.contains(where: { $0.lines[0] == "****7895 0 pts" }) {
      try await Task.sleep(for: .milliseconds(10))
    }
    await group.triggerGracefulShutdown()
    try await running.value
    sink.yield(.keys([.purchase]))
    #expect(f.counter.display.current.lines[0] == "****7895 0 pts", "nothing read after the shutdown")
    sink.finish()
  }
}

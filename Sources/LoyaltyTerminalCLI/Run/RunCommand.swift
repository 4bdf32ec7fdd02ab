import ArgumentParser
import CardIdentification
import CardReader
import CounterFirmware
import CounterRuntime
import Foundation
import LoyaltyCLISupport
import ServiceLifecycle

/// `loyalty-terminal run`: the counter itself, on a PC/SC reader or the simulator.
struct RunCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "run",
    abstract: "Run the counter: the display and keypad on this terminal, cards on the reader.",
    discussion: """
      Full screen by default (keys: digits, Enter=OK, Esc or c=cancel, p/r/f/b = purchase/redeem/refund/block, \
      s = scan a code, t = tap a card ID with --simulated, u = take it away, q = quit). \
      With --script, reads commands from stdin, one per line (press KEYS…, scan CODE, tap CARD, remove, \
      wait SECONDS, quit) and prints each screen as one line; the script's clock starts at --at and moves only \
      with wait. SIGINT or SIGTERM ends the run gracefully (the command in hand finishes, the terminal is \
      restored) with exit status 0; a script with skipped lines exits 1. \
      With --hq and --key, a card whose account this counter does not hold (another region's cardholder, \
      or one enrolled elsewhere since the last sync) is looked up at HQ's service on the tap, within \
      --look-up-timeout seconds; without HQ it earns provisionally, as offline.
      """)

  @OptionGroup var cache: CacheOptions
  @OptionGroup var recording: RecordingOptions
  @OptionGroup var reader: ReaderOptions
  @OptionGroup var lookUp: LookUpOptions

  @Flag(help: "Read keypad commands from stdin, one per line, and print screens as lines.")
  var script = false

  func run() async throws {
    let logger = reader.makeLogger("run")
    let store = try cache.open()
    guard (try? store.program()) != nil else {
      throw ValidationError("the cache \(cache.cache) has no program; load one first: loyalty-terminal program load")
    }
    let (system, hand) = try reader.makeCounterSystem(logger: logger)
    let watcher = TapWatcher(system: system, identifier: CardIdentifier(profiles: try reader.loadProfiles()))
    let devices = ConsoleDevices(mode: script ? .lines : .fullScreen, terminal: recording.terminal)
    // The reader's own LED and buzzer where its profile says how (hardware/reader-profiles.json);
    // the console otherwise.
    let feedback = ReaderFeedbackIndicator(
      system: system, profiles: try reader.loadReaderProfiles(), fallback: devices, logger: logger)
    // A script's time is an input: its clock starts at --at (or now) and moves only with `wait`
    // lines, so what a script does never depends on how fast it runs.
    let scriptClock = script ? ManualCounterClock(recording.at ?? SystemCounterClock().now) : nil
    // Cards that can sign give their key at enrolment and sign what they spend (`CardProof`).
    let signer = ReaderCardSigner(system: system)
    let (commands, sink) = AsyncStream.makeStream(of: CounterCommand.self)
    var terminal: TerminalSettings?
    if script {
      KeyboardReader.lines(into: { sink.yield($0) }, finished: { sink.finish() })
    } else {
      terminal = KeyboardReader.keystrokes(into: { sink.yield($0) }, status: { devices.setStatus($0) })
      guard terminal != nil else { throw ValidationError("stdin is not a terminal; use --script for automation") }
    }
    // The terminal as it was, however the run ends (quit, SIGINT/SIGTERM, a failure).
    defer { terminal?.restore() }
    // With --hq, a card whose account this counter does not hold is looked up at HQ first. Made
    // last: nothing may throw between here and the run, which closes its connection.
    let (storage, connection) = try lookUp.storage(
      PointsCacheStorage(cache: store, signer: signer), terminal: recording.terminal, logger: logger)
    let firmware = CounterFirmware(
      settings: .init(terminal: recording.terminal, operatorId: recording.operatorName),
      storage: storage, display: devices, indicator: feedback,
      clock: scriptClock ?? SystemCounterClock(startingAt: recording.at),
      logger: logger, signer: signer)
    if !script { devices.draw() }

    // The idle screen says when no reader can read cards (service lost, reader unplugged).
    let readersAtStart = (try? await system.readers().map(\.name)) ?? []
    // The run loop: the reader's taps (live, but not when a script drives the simulator: its
    // taps are played in line order by the input service), the tick, and the commands, which
    // end the group on quit or at the end of a script. SIGINT and SIGTERM shut it down
    // gracefully (the command in hand finishes, its screen is printed) and the run exits 0.
    let group = counterServiceGroup(
      taps: TapService(
        firmware: firmware, system: system, watcher: watcher, watchesTaps: !(script && hand != nil),
        readersAtStart: readersAtStart, useReader: { feedback.use(reader: $0) }, status: { devices.setStatus($0) }),
      tick: TickService(firmware: firmware),
      input: CounterInputService(
        commands: commands, firmware: firmware, script: script, scriptClock: scriptClock, hand: hand,
        watcher: watcher, status: { devices.setStatus($0) }),
      logger: logger)
    do {
      try await group.run()
      await connection?.close()
    } catch {
      await connection?.close()
      throw error
    }
    if script { try KeyboardReader.checkSkippedLines() }
  }
}

extension KeyboardReader {
  /// After a script: a failure (exit 1) saying how many lines were skipped, if any were.
  static func checkSkippedLines() throws {
    let skipped = skippedLines
    guard skipped > 0 else { return }
    throw CommandFailure(
      reason: "scriptLinesSkipped",
      message: "\(skipped) script line\(skipped == 1 ? " was" : "s were") skipped (see above): fix or remove them")
  }
}

/// `tap CARD` and `remove` with `--simulated`: the cashier's hand over the simulated reader.
extension SimulatedHand: CounterHand {}

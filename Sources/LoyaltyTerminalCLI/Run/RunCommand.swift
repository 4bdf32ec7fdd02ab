import ArgumentParser
import CardIdentification
import CardReader
import CounterFirmware
import CounterRuntime
import Foundation
import LoyaltyCLISupport

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
      with wait.
      """)

  @OptionGroup var cache: CacheOptions
  @OptionGroup var recording: RecordingOptions
  @OptionGroup var reader: ReaderOptions

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
    let firmware = CounterFirmware(
      settings: .init(terminal: recording.terminal, operatorId: recording.operatorName),
      storage: PointsCacheStorage(cache: store), display: devices, indicator: feedback,
      clock: scriptClock ?? SystemCounterClock(startingAt: recording.at),
      logger: logger)

    let (commands, sink) = AsyncStream.makeStream(of: CounterCommand.self)
    var restore: termios?
    if script {
      KeyboardReader.lines(into: { sink.yield($0) }, finished: { sink.finish() })
    } else {
      restore = KeyboardReader.keystrokes(into: { sink.yield($0) }, status: { devices.setStatus($0) })
      guard restore != nil else { throw ValidationError("stdin is not a terminal; use --script for automation") }
      devices.draw()
    }
    defer { if var saved = restore { tcsetattr(0, TCSANOW, &saved) } }

    // Live taps (not when a script drives the simulator: its taps are played in line order).
    let scriptDrivesTaps = script && hand != nil
    // The idle screen says when no reader can read cards (service lost, reader unplugged).
    let readersAtStart = (try? await system.readers().map(\.name)) ?? []
    let taps = Task {
      var presence = ReaderPresence(readers: readersAtStart)
      if !presence.online { await firmware.handle(.reader(online: false)) }
      guard !scriptDrivesTaps else { return }
      for await event in watcher.events() {
        if case .status(let status) = event, let online = presence.update(status) {
          await firmware.handle(.reader(online: online))
        }
        switch event {
        case .tap(let tap):
          feedback.use(reader: tap.reader)
          await firmware.handle(.tap(tap))
        case .status(.cardRemoved): await firmware.handle(.cardRemoved)
        case .status(let status): devices.setStatus("\(status)")
        }
      }
    }
    let ticks = Task {
      while !Task.isCancelled {
        try? await Task.sleep(for: .milliseconds(500))
        await firmware.handle(.tick)
      }
    }
    defer {
      taps.cancel()
      ticks.cancel()
    }
    for await command in commands {
      if script { await firmware.settle() }
      switch command {
      case .quit: return
      case .keys(let keys):
        for key in keys {
          await firmware.handle(.key(key))
          // A script's keys are pressed as a cashier's: each after the screen answered the last.
          if script { await firmware.settle() }
        }
      case .scan(let code): await firmware.handle(.scan(code))
      case .wait(let seconds):
        scriptClock?.advance(seconds: seconds)
        await firmware.handle(.tick)
      case .tap(let id):
        guard let hand else {
          devices.setStatus("tap needs --simulated; on a real reader, tap a real card")
          continue
        }
        if let problem = hand.place(id) {
          devices.setStatus(problem)
          continue
        }
        if script {
          await firmware.handle(.tap(await watcher.read(reader: hand.reader, atr: await hand.atr(), seen: .now)))
        }
      case .remove:
        hand?.remove()
        if script { await firmware.handle(.cardRemoved) }
      }
      if script { await firmware.settle() }
    }
    if script { try KeyboardReader.checkSkippedLines() }
  }
}

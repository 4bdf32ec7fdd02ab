import ArgumentParser
import CardIdentification
import CardReader
import Foundation
import LoyaltyCLISupport
import SimulatedCardReader

/// `loyalty-terminal watch`: waits for taps and prints one line per card.
struct WatchCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "watch",
    abstract: "Wait for taps and print one line per card (an error line for a bad card).",
    discussion: """
      With --json each line is an object with reader, atr, cardType, id, source and elapsedMs \
      (card seen to ID read), or error and reason for a refused card. Reader service changes \
      (pcscd lost or back) go to stderr. Ctrl-C exits cleanly. A --reader that is not among the \
      readers listed (once the reader service answers) is an error naming those there.
      """)

  @OptionGroup var options: ReaderOptions

  @Option(help: "Only watch this reader (its whole name, as `readers` lists it).")
  var reader: String?

  @Option(help: "Exit after this many taps (identified or refused).")
  var count: Int?

  @Flag(help: "One JSON object per line.")
  var json = false

  func validate() throws {
    if let count, count < 1 { throw ValidationError("--count must be at least 1, got \(count)") }
  }

  func run() async throws {
    let logger = options.makeLogger("watch")
    let identifier = CardIdentifier(profiles: try options.loadProfiles())
    let (system, simulator) = try options.makeSystem(logger: logger)
    let watcher = TapWatcher(system: system, identifier: identifier, readerFilter: reader)
    let json = self.json
    let limit = count
    // An unknown --reader fails now, or once the reader service first answers if it does not yet.
    var unchecked = reader
    if let name = unchecked, try await ReaderNameCheck.check(name, on: system) { unchecked = nil }
    let work = Task { [unchecked] in
      var unchecked = unchecked
      let player = Task {
        guard let simulator else { return }
        while !Task.isCancelled {
          try await simulator.play(SimulatedTaps.demo, on: SimulatedTaps.readerName)
        }
      }
      defer { player.cancel() }
      var seen = 0
      for await event in watcher.events() {
        switch event {
        case .tap(let tap):
          emit(json ? TapLine.json(tap) : TapLine.text(tap))
          seen += 1
          if let limit, seen >= limit { return }
        case .status(.serviceUnavailable(let error)):
          printError("watch: reader service unavailable (\(error.message)); retrying")
        case .status(.serviceRestored):
          printError("watch: reader service back")
          if let name = unchecked, try await ReaderNameCheck.check(name, on: system) { unchecked = nil }
        case .status(let other):
          logger.info("reader event", metadata: ["event": "\(other)"])
          if let name = unchecked, try await ReaderNameCheck.check(name, on: system) { unchecked = nil }
        }
      }
    }
    let interrupt = Interrupt { work.cancel() }
    try await work.value
    withExtendedLifetime(interrupt) {}
  }
}

import ArgumentParser
import CardIdentification
import CardReader
import Foundation
import SimulatedCardReader

/// `loyalty-terminal watch`: waits for taps and prints one line per card.
struct WatchCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "watch",
    abstract: "Wait for taps and print one line per card (an error line for a bad card).",
    discussion: """
      With --json each line is an object with reader, atr, cardType, id, source and elapsedMs \
      (card seen to ID read), or error and reason for a refused card. Reader service changes \
      (pcscd lost or back) go to stderr. Ctrl-C exits cleanly.
      """)

  @OptionGroup var options: ReaderOptions

  @Option(help: "Only watch this reader.")
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
    let work = Task {
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
        case .status(let other):
          logger.info("reader event", metadata: ["event": "\(other)"])
        }
      }
    }
    let interrupt = Interrupt { work.cancel() }
    await work.value
    withExtendedLifetime(interrupt) {}
  }
}

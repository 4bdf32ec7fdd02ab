import ArgumentParser
import CardEmulation
import Foundation
import Logging
import LoyaltyCLISupport
import VirtualCard

extension CardKind: ExpressibleByArgument {}

/// `loyalty-terminal sim card`: presents a virtual card on vpcd, so pcscd sees a real tap.
struct SimCardCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "card",
    abstract: "Present a virtual card on pcscd's vpcd reader (until Ctrl-C, or for --hold seconds).")

  @Option(help: "Card kind: uid, applet or ndef.")
  var kind: CardKind

  @Option(
    help:
      "uid: hex UID (4, 7 or 10 bytes); applet: the loyalty number; ndef: the number (Text record) or a URI ending in it."
  )
  var id: String

  @Option(help: "vpcd slot: 0 (port 35963) or 1 (port 35964).")
  var slot: Int = 0

  @Option(help: "Seconds to keep the card in the field.")
  var hold: Double?

  @Option(help: "vpcd host (IPv4).")
  var host: String = "127.0.0.1"

  @Option(help: "Pull the card away when it receives this command (1-based), before answering.")
  var pullOnCommand: Int?

  @Option(help: "Log level on stderr.")
  var logLevel: Logger.Level = .warning

  func validate() throws {
    if let pullOnCommand, pullOnCommand < 1 {
      throw ValidationError("--pull-on-command must be at least 1, got \(pullOnCommand)")
    }
    guard (0...1).contains(slot) else { throw ValidationError("--slot must be 0 or 1, got \(slot)") }
    if let hold, !(hold > 0 && hold <= 86_400) {
      throw ValidationError("--hold must be between 0 and 86400 seconds, got \(hold)")
    }
    do { _ = try kind.makeCard(id: id) } catch { throw ValidationError("--id: \(error)") }
  }

  func run() async throws {
    let options = try ReaderOptions.parse(["--log-level", logLevel.rawValue])
    let logger = options.makeLogger("sim-card")
    let card = VirtualCard(
      card: try kind.makeCard(id: id), host: host, port: VirtualCard.port(forSlot: slot),
      pullOnCommand: pullOnCommand, logger: logger)
    do {
      try card.insert()
    } catch {
      printError("sim card: \(error)")
      throw ExitCode(1)
    }
    printError(
      "sim card: \(kind.rawValue) card \(id) in the field of vpcd slot \(slot)\(hold.map { " for \($0) s" } ?? "; Ctrl-C to remove")"
    )
    let holdFor = hold
    let work = Task {
      await withTaskGroup(of: Void.self) { group in
        group.addTask {
          await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
              card.waitUntilRemoved()
              c.resume()
            }
          }
        }
        group.addTask {
          if let holdFor {
            try? await Task.sleep(for: .milliseconds(Int64(holdFor * 1000)))
          } else {
            while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
          }
        }
        await group.next()
        group.cancelAll()
        card.remove()
      }
    }
    let interrupt = Interrupt { work.cancel() }
    await work.value
    withExtendedLifetime(interrupt) {}
    printError("sim card: removed after \(card.commandsAnswered) command(s)")
  }
}

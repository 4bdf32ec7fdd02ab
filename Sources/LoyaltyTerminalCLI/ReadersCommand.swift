import ArgumentParser
import CardIdentification
import CardReader
import CounterFirmware
import CounterRuntime
import Foundation
import HexCoding
import LoyaltyCLISupport

/// `loyalty-terminal readers`: the readers and what is in each; with `--probe`, whether each
/// profiled reader's LED, buzzer and firmware commands work.
struct ReadersCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "readers", abstract: "List readers and the card in each (ATR, card type).",
    discussion: """
      With --probe, each reader that has a reader profile is sent its profile's firmware query and \
      its success, failure and attention LED/buzzer commands (it beeps and lights), and the report \
      says per reader what worked; a reader without a profile is named as such (it signals on the \
      console). ACR122U-style pseudo-APDUs need a card on the reader.
      """)

  @OptionGroup var options: ReaderOptions

  @Flag(help: "Try each profiled reader's LED, buzzer and firmware commands and report what worked.")
  var probe = false

  @Flag(help: "Print one JSON document.")
  var json = false

  func run() async throws {
    let logger = options.makeLogger("readers")
    let profiles = try options.loadProfiles()
    let readerProfiles = try options.loadReaderProfiles()
    let identifier = CardIdentifier(profiles: profiles)
    let (system, simulator) = try options.makeSystem(logger: logger)
    if let simulator, let first = SimulatedTaps.demo.first {
      simulator.insert(first.card, into: SimulatedTaps.readerName)
    }
    let readers: [ReaderStatus]
    do {
      readers = try await system.readers()
    } catch {
      throw CommandFailure(reason: error.kind.rawValue, message: error.message, exitCode: 2)
    }
    if probe {
      var probes: [ReaderProbe] = []
      for r in readers {
        probes.append(await ReaderProbe.probe(reader: r.name, profiles: readerProfiles, system: system))
      }
      emit(json ? JSONLine.encode(["readers": probes.map(ReaderProbeReport.object)]) : ReaderProbeReport.text(probes))
      return
    }
    // The firmware version, where the reader's profile says how to ask (and the reader answers).
    var firmware: [String: String] = [:]
    for r in readers {
      guard let command = readerProfiles.profile(for: r.name)?.firmware,
        let answer = try? await system.send(command, toReader: r.name), !ReaderProfiles.firmwareText(answer).isEmpty
      else { continue }
      firmware[r.name] = ReaderProfiles.firmwareText(answer)
    }
    if json {
      let list: [[String: Any]] = readers.map { r in
        var o: [String: Any] = [
          "name": r.name, "state": r.cardUnresponsive ? "mute" : (r.atr == nil ? "empty" : "present"),
        ]
        if let atr = r.atr {
          o["atr"] = Hex.encode(atr)
          o["cardType"] = identifier.cardType(for: atr)
        }
        if let version = firmware[r.name] { o["firmware"] = version }
        return o
      }
      print(JSONLine.encode(["readers": list]))
      return
    }
    if readers.isEmpty { print("no readers") }
    for r in readers {
      let version = firmware[r.name].map { "  firmware \($0)" } ?? ""
      if let atr = r.atr {
        print("\(r.name): \(identifier.cardType(for: atr))  ATR \(Hex.encode(atr))\(version)")
      } else {
        print("\(r.name): \(r.cardUnresponsive ? "card present but mute" : "empty")\(version)")
      }
    }
  }
}

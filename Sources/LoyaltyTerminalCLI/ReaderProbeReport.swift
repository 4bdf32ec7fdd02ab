import CardReader
import CounterFirmware
import CounterRuntime
import Foundation
import HexCoding

/// What `readers --probe` prints: per reader, its profile and what each of its commands did, in
/// words or (with --json) as one object per reader.
enum ReaderProbeReport {
  static let noProfile = "no reader profile: it signals on the console, nothing to probe"

  /// Lines for people: a header per reader, then one line per step.
  static func text(_ probes: [ReaderProbe]) -> String {
    guard !probes.isEmpty else { return "no readers" }
    var lines: [String] = []
    for probe in probes {
      guard let profile = probe.profile else {
        lines.append("\(probe.reader): \(noProfile)")
        continue
      }
      lines.append("\(probe.reader) (profile \(profile)): \(probe.allWorked ? "every command worked" : "some failed")")
      if let step = probe.firmware {
        let version = probe.firmwareVersion.map { "firmware \($0)" } ?? "no version in the answer"
        lines.append("  firmware   " + (step.worked ? "ok, \(version)" : describe(step)))
      } else {
        lines.append("  firmware   no query in the profile")
      }
      for (signal, step) in probe.signals {
        let label = signal.name.padding(toLength: 10, withPad: " ", startingAt: 0)
        lines.append("  \(label) " + describe(step))
      }
      if probe.signals.isEmpty { lines.append("  signals    none in the profile") }
    }
    return lines.joined(separator: "\n")
  }

  static func describe(_ step: ReaderProbe.Step) -> String {
    let commands = "\(step.commands) command\(step.commands == 1 ? "" : "s")"
    if step.worked { return "ok (\(commands))" }
    return "failed after \(step.sent) of \(commands): \(step.error ?? "no answer")"
  }

  /// The object for one reader: `name`, `profile` (null without one), `worked`, and per step
  /// `ok`, `commands`, `sent`, `error` (the firmware query also `answer` in hex and `version`).
  static func object(_ probe: ReaderProbe) -> [String: Any] {
    guard let profile = probe.profile else {
      return ["name": probe.reader, "profile": NSNull(), "worked": false, "note": noProfile]
    }
    var signals: [String: Any] = [:]
    for (signal, step) in probe.signals { signals[signal.name] = object(step) }
    var o: [String: Any] = ["name": probe.reader, "profile": profile, "worked": probe.allWorked, "signals": signals]
    if let step = probe.firmware {
      var firmware = object(step)
      if let answer = step.answer { firmware["answer"] = Hex.encode(answer) }
      if let version = probe.firmwareVersion { firmware["version"] = version }
      o["firmware"] = firmware
    } else {
      o["firmware"] = NSNull()
    }
    return o
  }

  static func object(_ step: ReaderProbe.Step) -> [String: Any] {
    var o: [String: Any] = ["ok": step.worked, "commands": step.commands, "sent": step.sent]
    if let error = step.error { o["error"] = error }
    return o
  }
}

import CardReader
import CounterFirmware

/// `readers --probe` for one reader: its profile's firmware query and each signal's LED/buzzer
/// commands sent in turn, and what each did — so a technician sees whether a reader beeps and
/// lights before a cashier depends on it. A reader with no profile is reported, not probed (it
/// signals on the console).
public struct ReaderProbe: Sendable {
  /// What one step did: the commands it has, how many went through, the answer of the last one,
  /// and the error that stopped it.
  public struct Step: Sendable, Hashable {
    public var commands: Int
    public var sent: Int
    public var answer: [UInt8]?
    public var error: String?

    /// Every command went through.
    public var worked: Bool { error == nil && sent == commands }
  }

  public var reader: String
  /// The profile's name; nil when no profile matches the reader.
  public var profile: String?
  /// The firmware query; nil when the profile has none.
  public var firmware: Step?
  /// Each signal with commands, in the order success, failure, attention.
  public var signals: [(signal: CounterSignal, step: Step)]

  /// The firmware version in the answer (see `ReaderProfiles.firmwareText`), when it has one.
  public var firmwareVersion: String? {
    guard let answer = firmware?.answer else { return nil }
    let text = ReaderProfiles.firmwareText(answer)
    return text.isEmpty ? nil : text
  }

  /// Every step of a profiled reader worked (false for a reader without a profile).
  public var allWorked: Bool {
    profile != nil && (firmware?.worked ?? true) && signals.allSatisfy { $0.step.worked }
  }

  /// Probes `reader` with its profile in `profiles`: the firmware query first, then success,
  /// failure and attention (each signal stops at its first failing command, as the counter does).
  public static func probe(
    reader: String, profiles: ReaderProfiles, system: any CardReaderSystem
  ) async -> ReaderProbe {
    guard let profile = profiles.profile(for: reader) else {
      return ReaderProbe(reader: reader, profile: nil, firmware: nil, signals: [])
    }
    var firmware: Step?
    if let command = profile.firmware { firmware = await run([command], on: reader, system) }
    var signals: [(signal: CounterSignal, step: Step)] = []
    for signal in [CounterSignal.success, .failure, .attention] {
      guard let commands = profile.signals[signal], !commands.isEmpty else { continue }
      signals.append((signal, await run(commands, on: reader, system)))
    }
    return ReaderProbe(reader: reader, profile: profile.name, firmware: firmware, signals: signals)
  }

  static func run(_ commands: [ReaderCommand], on reader: String, _ system: any CardReaderSystem) async -> Step {
    var step = Step(commands: commands.count, sent: 0)
    for command in commands {
      do throws(CardReaderError) {
        step.answer = try await system.send(command, toReader: reader)
        step.sent += 1
      } catch {
        step.error = error.message
        return step
      }
    }
    return step
  }
}

extension CounterSignal {
  /// The signal's name in profiles and reports: success, failure, attention.
  public var name: String {
    switch self {
    case .success: "success"
    case .failure: "failure"
    case .attention: "attention"
    }
  }
}

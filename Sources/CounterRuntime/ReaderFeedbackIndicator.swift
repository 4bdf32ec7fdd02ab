import CardReader
import CounterFirmware
import Logging
import Synchronization

/// The counter's indicator on the reader itself: success, failure and attention as the reader's
/// own LED and buzzer patterns (its profile's commands), in the order they were signalled;
/// the console indicator when the reader has no profile, and whenever a command fails (no card
/// in the field for a pseudo-APDU, a driver that refuses escapes).
public final class ReaderFeedbackIndicator: CounterIndicator, Sendable {
  let system: any CardReaderSystem
  let profiles: ReaderProfiles
  let fallback: any CounterIndicator
  let logger: Logger
  private let queue: AsyncStream<(String?, CounterSignal)>.Continuation
  private let reader = Mutex<String?>(nil)
  private let worker: Task<Void, Never>

  public init(
    system: any CardReaderSystem, profiles: ReaderProfiles = .builtIn, fallback: any CounterIndicator, logger: Logger
  ) {
    self.system = system
    self.profiles = profiles
    self.fallback = fallback
    self.logger = logger
    let (stream, continuation) = AsyncStream.makeStream(of: (String?, CounterSignal).self)
    queue = continuation
    worker = Task { [system, profiles, fallback, logger] in
      for await (reader, signal) in stream {
        guard let reader, let commands = profiles.profile(for: reader)?.signals[signal], !commands.isEmpty else {
          fallback.signal(signal)
          continue
        }
        do {
          for command in commands { _ = try await system.send(command, toReader: reader) }
        } catch {
          logger.debug("reader feedback failed", metadata: ["reader": "\(reader)", "error": "\(error)"])
          fallback.signal(signal)
        }
      }
    }
  }

  deinit {
    queue.finish()
  }

  /// The reader the next signals go to (the one the last card was tapped on).
  public func use(reader name: String) { reader.withLock { $0 = name } }

  public func signal(_ signal: CounterSignal) { queue.yield((reader.withLock { $0 }, signal)) }

  /// Waits until every signal so far has been sent (tests).
  public func finish() async {
    queue.finish()
    await worker.value
  }
}

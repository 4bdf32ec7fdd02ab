import CardReader
import HexCoding

/// What a watcher reports: a tap that was read (or not), or a change in the reader service.
public enum WatchEvent: Sendable {
  case tap(TapResult)
  case status(ReaderEvent)
}

/// One tap: the card's identity or why it has none, and how long reading it took.
public struct TapResult: Sendable {
  public var reader: String
  /// The ATR in uppercase hex ("" when the card gave none).
  public var atr: String
  public var cardType: String
  public var outcome: Result<CardIdentity, CardIdentificationError>
  /// From the card being seen to its ID being read (or the failure).
  public var elapsed: Duration

  public init(
    reader: String, atr: String, cardType: String, outcome: Result<CardIdentity, CardIdentificationError>,
    elapsed: Duration
  ) {
    self.reader = reader
    self.atr = atr
    self.cardType = cardType
    self.outcome = outcome
    self.elapsed = elapsed
  }
}

/// Turns reader events into identified taps: the terminal's reader loop.
///
/// Each tap is read in a task of its own, so a slow or mute card in one reader never holds up
/// another reader; a bad card yields a failed `TapResult` and the loop goes on.
public struct TapWatcher: Sendable {
  public let system: any CardReaderSystem
  public let identifier: CardIdentifier
  /// Only taps in this reader, when set.
  public let readerFilter: String?

  public init(system: any CardReaderSystem, identifier: CardIdentifier, readerFilter: String? = nil) {
    self.system = system
    self.identifier = identifier
    self.readerFilter = readerFilter
  }

  /// Watches until the consumer stops iterating (or the task is cancelled).
  public func events() -> AsyncStream<WatchEvent> {
    let (stream, continuation) = AsyncStream.makeStream(of: WatchEvent.self)
    let task = Task { [self] in
      await withDiscardingTaskGroup { group in
        for await event in system.events() {
          if Task.isCancelled { break }
          switch event {
          case .cardInserted(let reader, let atr):
            guard readerFilter == nil || readerFilter == reader else { continue }
            let seen = ContinuousClock.now
            group.addTask {
              continuation.yield(.tap(await read(reader: reader, atr: atr, seen: seen)))
            }
          case .cardUnresponsive(let reader):
            guard readerFilter == nil || readerFilter == reader else { continue }
            let failure = CardIdentificationError(
              .readerError, "card in \(reader) does not answer (no ATR)",
              readerError: CardReaderError(.cardUnresponsive, "no ATR"))
            continuation.yield(
              .tap(TapResult(reader: reader, atr: "", cardType: "unknown", outcome: .failure(failure), elapsed: .zero)))
          case .cardRemoved(let reader):
            // The counter needs it: a card pulled away before OK records nothing.
            guard readerFilter == nil || readerFilter == reader else { continue }
            continuation.yield(.status(event))
          default:
            continuation.yield(.status(event))
          }
        }
      }
      continuation.finish()
    }
    continuation.onTermination = { _ in task.cancel() }
    return stream
  }

  /// Connects to the card just seen in `reader`, identifies it and disconnects.
  public func read(reader: String, atr: [UInt8], seen: ContinuousClock.Instant) async -> TapResult {
    let cardType = identifier.cardType(for: atr)
    let outcome: Result<CardIdentity, CardIdentificationError>
    do {
      let session = try await system.connect(reader: reader)
      // On a live reader this runs the whole identification on the session's own thread.
      outcome = await session.withPreferredExecutor { () async -> Result<CardIdentity, CardIdentificationError> in
        do throws(CardIdentificationError) {
          return .success(try await identifier.identify(session))
        } catch {
          return .failure(error)
        }
      }
      await session.disconnect()
    } catch {
      outcome = .failure(CardIdentificationError(error))
    }
    return TapResult(
      reader: reader, atr: Hex.encode(atr), cardType: cardType, outcome: outcome,
      elapsed: ContinuousClock.now - seen)
  }
}

import CardEmulation
import CardReader
import Synchronization

/// An in-process, deterministic reader system: scripted cards, injected faults, injected clock.
///
/// Same API as the live PC/SC system. Every wait (slow and mute cards, scripted taps) goes
/// through the injected clock, so tests drive time instead of sleeping.
public final class SimulatedCardReaderSystem: CardReaderSystem {
  struct CardSlot {
    var card: any EmulatedCard
    var faults: [SimulatedFault]
    /// Distinguishes this insertion from later ones in the same reader.
    var generation: UInt64
    var commandsSeen = 0
    var reportedATR: [UInt8]? {
      if faults.contains(.noATR) { return nil }
      for case .malformedATR(let atr) in faults { return atr }
      return card.atr
    }
  }

  struct State {
    var readers: [String: CardSlot?] = [:]
    var order: [String] = []
    var subscribers: [UInt64: AsyncStream<ReaderEvent>.Continuation] = [:]
    var nextID: UInt64 = 0
  }

  let state = Mutex(State())
  /// The clock every wait of this system uses.
  public let clock: any Clock<Duration>
  /// How long a command may take before it fails with `timeout`.
  public let transmitTimeout: Duration
  /// Commands sent to the readers themselves, and their answers.
  public let readerControl = SimulatedReaderControl()

  /// A system with the given (initially empty) readers.
  public init(
    readers: [String] = ["Simulated Reader 0"], clock: any Clock<Duration> = ContinuousClock(),
    transmitTimeout: Duration = .seconds(2)
  ) {
    self.clock = clock
    self.transmitTimeout = transmitTimeout
    state.withLock { s in
      for r in readers where s.readers[r] == nil {
        s.readers[r] = .some(nil)
        s.order.append(r)
      }
    }
  }

  // MARK: Scripting

  /// Plugs in a reader.
  public func addReader(_ name: String) {
    let added = state.withLock { s -> Bool in
      guard s.readers[name] == nil else { return false }
      s.readers[name] = .some(nil)
      s.order.append(name)
      return true
    }
    if added { broadcast(.readerAdded(reader: name)) }
  }

  /// Unplugs a reader (and so takes away its card).
  public func removeReader(_ name: String) {
    let hadCard = state.withLock { s -> Bool? in
      guard let slot = s.readers.removeValue(forKey: name) else { return nil }
      s.order.removeAll { $0 == name }
      return slot != nil
    }
    guard let hadCard else { return }
    if hadCard { broadcast(.cardRemoved(reader: name)) }
    broadcast(.readerRemoved(reader: name))
  }

  /// Puts `card` in the field of `reader`, replacing any card there.
  public func insert(_ card: any EmulatedCard, into reader: String, faults: [SimulatedFault] = []) {
    var card = card
    card.reset()
    let result = state.withLock { s -> (hadCard: Bool, slot: CardSlot)? in
      guard let existing = s.readers[reader] else { return nil }
      s.nextID += 1
      let slot = CardSlot(card: card, faults: faults, generation: s.nextID)
      s.readers[reader] = .some(slot)
      return (existing != nil, slot)
    }
    guard let result else { return }
    if result.hadCard { broadcast(.cardRemoved(reader: reader)) }
    if let atr = result.slot.reportedATR {
      broadcast(.cardInserted(reader: reader, atr: atr))
    } else {
      broadcast(.cardUnresponsive(reader: reader))
    }
  }

  /// Takes the card out of the field of `reader`.
  public func remove(from reader: String) {
    let removed = state.withLock { s -> Bool in
      guard case .some(.some) = s.readers[reader] else { return false }
      s.readers[reader] = .some(nil)
      return true
    }
    if removed { broadcast(.cardRemoved(reader: reader)) }
  }

  /// Plays `taps` on `reader` one after another, waiting on the injected clock.
  public func play(_ taps: [SimulatedTap], on reader: String) async throws {
    for tap in taps {
      insert(tap.card, into: reader, faults: tap.faults)
      try await clock.sleep(for: tap.hold)
      remove(from: reader)
      try await clock.sleep(for: tap.gap)
    }
  }

  // MARK: CardReaderSystem

  public func readers() async throws(CardReaderError) -> [ReaderStatus] {
    state.withLock { s in
      s.order.map { name in
        let slot = s.readers[name] ?? nil
        return ReaderStatus(
          name: name, atr: slot?.reportedATR, cardUnresponsive: slot != nil && slot?.reportedATR == nil)
      }
    }
  }

  public func events() -> AsyncStream<ReaderEvent> {
    let (stream, continuation) = AsyncStream.makeStream(of: ReaderEvent.self, bufferingPolicy: .unbounded)
    let id = state.withLock { s -> UInt64 in
      s.nextID += 1
      s.subscribers[s.nextID] = continuation
      for name in s.order {
        continuation.yield(.readerAdded(reader: name))
        if case .some(.some(let slot)) = s.readers[name] {
          if let atr = slot.reportedATR {
            continuation.yield(.cardInserted(reader: name, atr: atr))
          } else {
            continuation.yield(.cardUnresponsive(reader: name))
          }
        }
      }
      return s.nextID
    }
    continuation.onTermination = { [weak self] _ in
      _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
    }
    return stream
  }

  public func connect(reader: String) async throws(CardReaderError) -> any CardSession {
    let slot = try state.withLock { s throws(CardReaderError) -> CardSlot in
      guard let entry = s.readers[reader] else {
        throw CardReaderError(.readerUnavailable, "no reader named \"\(reader)\"")
      }
      guard let slot = entry else { throw CardReaderError(.noCard, "no card in \(reader)") }
      return slot
    }
    guard let atr = slot.reportedATR else {
      throw CardReaderError(.cardUnresponsive, "the card in \(reader) gives no ATR")
    }
    return SimulatedCardSession(system: self, reader: reader, generation: slot.generation, atr: atr)
  }

  // MARK: Internals

  func broadcast(_ event: ReaderEvent) {
    let subscribers = state.withLock { Array($0.subscribers.values) }
    for s in subscribers { s.yield(event) }
  }

  /// Runs `body` on the card of `reader` if it is still the one of `generation`.
  func withCard<T>(
    reader: String, generation: UInt64, _ body: (inout CardSlot) -> T
  ) throws(CardReaderError) -> T {
    try state.withLock { s throws(CardReaderError) -> T in
      guard case .some(.some(var slot)) = s.readers[reader], slot.generation == generation else {
        throw CardReaderError(.cardRemoved, "the card left \(reader)")
      }
      let result = body(&slot)
      s.readers[reader] = .some(slot)
      return result
    }
  }
}

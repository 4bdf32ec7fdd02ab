import CardEmulation
import CardReader
import Synchronization

/// A session with a card in a simulated reader; applies the card's faults to every exchange.
final class SimulatedCardSession: CardSession {
  let system: SimulatedCardReaderSystem
  let reader: String
  let generation: UInt64
  let atr: [UInt8]
  private let closed = Atomic<Bool>(false)

  init(system: SimulatedCardReaderSystem, reader: String, generation: UInt64, atr: [UInt8]) {
    self.system = system
    self.reader = reader
    self.generation = generation
    self.atr = atr
  }

  func transmitRaw(_ command: [UInt8]) async throws(CardReaderError) -> [UInt8] {
    guard !closed.load(ordering: .acquiring) else {
      throw CardReaderError(.sessionClosed, "session with \(reader) is closed")
    }
    let (number, faults) = try system.withCard(reader: reader, generation: generation) { slot in
      slot.commandsSeen += 1
      return (slot.commandsSeen, slot.faults)
    }
    if faults.contains(.removedDuringCommand(number)) {
      system.remove(from: reader)
      throw CardReaderError(.cardRemoved, "card pulled from \(reader) during command \(number)")
    }
    if faults.contains(.mute) {
      try await wait(system.transmitTimeout)
      throw CardReaderError(.timeout, "card in \(reader) did not answer within \(system.transmitTimeout)")
    }
    for case .slow(let delay) in faults {
      if delay >= system.transmitTimeout {
        try await wait(system.transmitTimeout)
        throw CardReaderError(.timeout, "card in \(reader) did not answer within \(system.transmitTimeout)")
      }
      try await wait(delay)
    }
    var response = try system.withCard(reader: reader, generation: generation) { slot in
      slot.card.respond(to: command)
    }
    for fault in faults {
      switch fault {
      case .truncatedResponses(let n):
        response = Array(response.prefix(max(0, n)))
      case .oversizedResponses(let n) where response.count >= 2:
        response.insert(contentsOf: [UInt8](repeating: 0xEE, count: n), at: response.count - 2)
      case .wrongStatusWord(let sw, let ins) where ins == nil || (command.count > 1 && command[1] == ins):
        response = Array(response.dropLast(2)) + [sw.sw1, sw.sw2]
      default:
        break
      }
    }
    return response
  }

  func disconnect() async {
    closed.store(true, ordering: .releasing)
  }

  private func wait(_ duration: Duration) async throws(CardReaderError) {
    do {
      try await system.clock.sleep(for: duration)
    } catch {
      throw CardReaderError(.cancelled, "exchange with \(reader) cancelled")
    }
    // The card may have been taken away meanwhile.
    _ = try system.withCard(reader: reader, generation: generation) { _ in () }
  }
}

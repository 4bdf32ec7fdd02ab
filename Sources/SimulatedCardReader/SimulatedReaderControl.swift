import CardReader
import Synchronization

/// What the simulated readers were told to do themselves (LED, buzzer, firmware), in order, and
/// what they answer: tests assert the exact bytes a profile makes the counter send.
public final class SimulatedReaderControl: Sendable {
  struct State {
    var sent: [(reader: String, command: ReaderCommand)] = []
    var answers: [[UInt8]: [UInt8]] = [:]
  }

  let state = Mutex(State())

  init() {}

  /// Every command sent to a reader, oldest first.
  public var sent: [(reader: String, command: ReaderCommand)] { state.withLock { $0.sent } }

  /// Makes the readers answer `answer` (data + SW) to the command `bytes` (default: 90 00).
  public func answer(_ bytes: [UInt8], with answer: [UInt8]) { state.withLock { $0.answers[bytes] = answer } }

  func record(_ command: ReaderCommand, reader: String) -> [UInt8] {
    state.withLock {
      $0.sent.append((reader, command))
      return $0.answers[command.bytes] ?? [0x90, 0x00]
    }
  }
}

extension SimulatedCardReaderSystem {
  public func send(_ command: ReaderCommand, toReader reader: String) async throws(CardReaderError) -> [UInt8] {
    guard state.withLock({ $0.readers[reader] != nil }) else {
      throw CardReaderError(.readerUnavailable, "no reader \(reader)")
    }
    // A pseudo-APDU travels over a connection to the card, as on a live reader.
    if case .pseudoAPDU = command, state.withLock({ $0.readers[reader] ?? nil }) == nil {
      throw CardReaderError(.noCard, "no card in \(reader): a pseudo-APDU needs one")
    }
    return readerControl.record(command, reader: reader)
  }
}

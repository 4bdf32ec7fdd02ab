import CardEmulation
import CardReader
import LoyaltyTerminalCLI
import Synchronization

/// A session straight onto an emulated card, with no reader layer at all: the floor the
/// simulated reader's tap→ID latency is compared with.
final class DirectCardSession: CardSession {
  let reader = "direct"
  let atr: [UInt8]
  private let card: Mutex<any EmulatedCard>

  init(_ card: any EmulatedCard) {
    var card = card
    card.reset()
    self.atr = card.atr
    self.card = Mutex(card)
  }

  func transmitRaw(_ command: [UInt8]) async throws(CardReaderError) -> [UInt8] {
    card.withLock { $0.respond(to: command) }
  }

  func disconnect() async {}
}

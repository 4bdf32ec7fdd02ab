import CardEmulation
import Foundation
import Logging
import Synchronization

/// A virtual card on pcscd's vpcd driver: connecting is the tap, closing is the removal.
///
/// It speaks vpcd's framing (control bytes 00 off, 01 on, 02 reset, 04 get ATR; longer frames are
/// APDUs) and answers with an `EmulatedCard`, so the real PC/SC stack sees a real card.
public final class VirtualCard: Sendable {
  /// vpcd's port for reader slot `slot` (slot 0 → 35963, slot 1 → 35964).
  public static func port(forSlot slot: Int) -> UInt16 { UInt16(35963 + slot) }

  struct State {
    var card: any EmulatedCard
    var commands = 0
    var running = false
    var fd: Int32 = -1
  }

  let host: String
  let port: UInt16
  let logger: Logger
  /// When set, the card leaves the field (connection closed) on receiving this command (1-based),
  /// before answering: a card pulled away mid-exchange.
  let pullOnCommand: Int?
  let state: Mutex<State>
  let finished = DispatchSemaphore(value: 0)

  /// A virtual card answering as `card`; not yet in the field.
  public init(
    card: any EmulatedCard, host: String = "127.0.0.1", port: UInt16 = VirtualCard.port(forSlot: 0),
    pullOnCommand: Int? = nil, logger: Logger
  ) {
    self.host = host
    self.port = port
    self.pullOnCommand = pullOnCommand
    self.logger = logger
    self.state = Mutex(State(card: card))
  }

  /// Number of command APDUs the card has answered.
  public var commandsAnswered: Int { state.withLock { $0.commands } }

  /// Whether the card is in the field (connected to vpcd).
  public var isInserted: Bool { state.withLock { $0.running } }

  /// Taps the card: connects to vpcd and answers it on a thread of its own.
  public func insert() throws(VirtualCardError) {
    guard !isInserted else { return }
    while finished.wait(timeout: .now()) == .success {}  // forget an earlier insertion's end
    let socket = try VPCDSocket(host: host, port: port)
    state.withLock {
      $0.running = true
      $0.fd = socket.fd
      $0.card.reset()
    }
    let box = SocketBox(socket)
    let thread = Thread { [self] in
      serve(box.take())
      state.withLock {
        $0.running = false
        $0.fd = -1
      }
      finished.signal()
    }
    thread.name = "vpcd-card-\(port)"
    thread.start()
  }

  /// Takes the card away: closes the connection and waits for the serving thread to end.
  public func remove() {
    let fd = state.withLock { s -> Int32 in s.running ? s.fd : -1 }
    guard fd >= 0 else { return }
    shutdown(fd, Int32(SHUT_RDWR))
    finished.wait()
    // Leave the end signalled for anyone else waiting (`waitUntilRemoved` on another thread):
    // taking the only signal here left such a waiter blocked for ever, and `sim card --hold`
    // hung after its hold whenever this call won the race.
    finished.signal()
  }

  /// Blocks until the card has left the field (removed, pulled, or vpcd went away).
  public func waitUntilRemoved() {
    guard isInserted else { return }
    finished.wait()
    finished.signal()
  }

  private func serve(_ socket: consuming VPCDSocket) {
    while true {
      socket.armQuickAck()
      guard let header = socket.read(exactly: 2) else { break }
      let length = Int(header[0]) << 8 | Int(header[1])
      guard length > 0, let body = socket.read(exactly: length) else { break }
      if length == 1 {
        switch body[0] {
        case 0x00, 0x01, 0x02:  // power off, power on, reset: no answer
          state.withLock { $0.card.reset() }
        case 0x04:
          let atr = state.withLock { $0.card.atr }
          guard socket.writeFrame(atr) else { return }
        default:
          logger.debug("vpcd sent an unknown control byte", metadata: ["byte": "\(body[0])"])
        }
        continue
      }
      let (number, response) = state.withLock { s -> (Int, [UInt8]) in
        s.commands += 1
        if s.commands == pullOnCommand { return (s.commands, []) }
        return (s.commands, s.card.respond(to: body))
      }
      if number == pullOnCommand {
        logger.debug("card pulled away mid-command", metadata: ["command": "\(number)"])
        break
      }
      guard socket.writeFrame(response) else { break }
    }
  }
}

/// Hands a non-copyable socket to the serving thread exactly once.
private final class SocketBox: @unchecked Sendable {
  private var socket: VPCDSocket?
  init(_ socket: consuming VPCDSocket) { self.socket = consume socket }
  func take() -> VPCDSocket {
    guard let s = socket.take() else { fatalError("socket taken twice") }
    return s
  }
}

import CPCSCLite
import CardReader
import Foundation
import Synchronization

/// A connection to a card through pcscd: its own context, card handle and thread.
///
/// Invariant: `context`, `card`, `request` and `buffer` are touched only on `thread`, which
/// serialises every libpcsclite call of this session. A task that prefers `thread` as its
/// executor (see `preferredExecutor`) makes its exchanges inline, with no hop per APDU.
final class PCSCCardSession: CardSession, @unchecked Sendable {
  let reader: String
  private(set) var atr: [UInt8] = []
  private let thread: SessionThread
  private var context: PCSCContext?
  private var card: SCARDHANDLE = 0
  private var request = SCARD_IO_REQUEST()
  private let buffer: UnsafeMutablePointer<UInt8>
  private let closed = Atomic<Bool>(false)

  private init(reader: String) {
    self.reader = reader
    self.thread = SessionThread(name: "pcsc-session")
    self.buffer = .allocate(capacity: PCSC.maxResponseSize)
  }

  deinit {
    closeBlocking()
    thread.stop()
    buffer.deallocate()
  }

  var preferredExecutor: (any TaskExecutor)? { thread }

  /// Connects to the card in `reader` (shared mode, T=0 or T=1).
  static func open(reader: String) async throws(CardReaderError) -> PCSCCardSession {
    let session = PCSCCardSession(reader: reader)
    try await session.thread.run { () throws(CardReaderError) in try session.connectBlocking() }
    return session
  }

  func transmitRaw(_ command: [UInt8]) async throws(CardReaderError) -> [UInt8] {
    try await thread.run { () throws(CardReaderError) -> [UInt8] in try self.transmitBlocking(command) }
  }

  func disconnect() async {
    await thread.run { self.closeBlocking() }
    thread.stop()
  }

  // MARK: Blocking calls (on `calls` only)

  private func connectBlocking() throws(CardReaderError) {
    let context: PCSCContext
    do { context = try PCSCContext() } catch { throw error.readerError("connecting to \(reader)") }
    var handle: SCARDHANDLE = 0
    var proto: UInt = 0
    // Right after pcscd announces a card, SCardConnect can still answer SCARD_E_NO_SMARTCARD
    // (seen in the tap soak against vpcd, as SCardStatus can; see readSettledATR): asked again
    // at most 20 times 10 ms apart (half of vpcd's poll) before it counts. 10 × 5 ms was not
    // always enough in CI; what is still absent after that is a refused tap, not a crash.
    var attempt = 0
    while true {
      do {
        try PCSCHandleTable.changing { () throws(PCSCError) in
          try pcscCall {
            SCardConnect(context.handle, reader, PCSC.shareShared, PCSC.protocolT0 | PCSC.protocolT1, &handle, &proto)
          }
        }
        break
      } catch {
        attempt += 1
        if error == .noSmartcard, attempt < 20 {
          usleep(10_000)
          continue
        }
        context.release()
        throw error.readerError("connecting to \(reader)")
      }
    }
    self.context = context
    self.card = handle
    setProtocol(proto)
    do {
      atr = try readSettledATR()
    } catch {
      closeBlocking()
      throw error.readerError("reading the ATR in \(reader)")
    }
  }

  /// The card's ATR, read again (at most 10 × 5 ms) while pcscd's answer is not a well-formed ATR.
  ///
  /// When a card is replaced within one poll of pcscd, SCardStatus right after SCardConnect can
  /// answer an ATR with the previous card's length (zero-padded, "20 trailing bytes") or
  /// SCARD_E_NO_SMARTCARD (pcsc-lite 1.9.9; seen with pyscard too). A few ms later it answers the
  /// new card's ATR, so the tap is read rather than refused.
  private func readSettledATR() throws(PCSCError) -> [UInt8] {
    try Self.settledATR(rereads: 10, pause: { usleep(5_000) }, read: readATR)
  }

  /// `read` until it gives a well-formed ATR, at most `rereads` more times with `pause` between;
  /// what is still not well-formed after that is returned as it is, and identification refuses
  /// it with its reason. SCARD_E_NO_SMARTCARD counts as "not yet" until the last read.
  static func settledATR(
    rereads: Int, pause: () -> Void, read: () throws(PCSCError) -> [UInt8]
  ) throws(PCSCError) -> [UInt8] {
    var attempt = 0
    while true {
      attempt += 1
      do {
        let atr = try read()
        if attempt > rereads || (try? ATR(atr)) != nil { return atr }
      } catch .noSmartcard where attempt <= rereads {
      }
      pause()
    }
  }

  private func readATR() throws(PCSCError) -> [UInt8] {
    var atrBuffer = [UInt8](repeating: 0, count: Int(MAX_ATR_SIZE))
    var atrLength = UInt(MAX_ATR_SIZE)
    var state: UInt = 0
    var proto: UInt = 0
    var nameLength: UInt = 0
    try PCSCHandleTable.reading { () throws(PCSCError) in
      try pcscCall { SCardStatus(card, nil, &nameLength, &state, &proto, &atrBuffer, &atrLength) }
    }
    return Array(atrBuffer.prefix(Int(min(atrLength, UInt(MAX_ATR_SIZE)))))
  }

  private func setProtocol(_ proto: UInt) {
    request.dwProtocol = proto
    request.cbPciLength = UInt(MemoryLayout<SCARD_IO_REQUEST>.size)
  }

  private func transmitBlocking(_ command: [UInt8]) throws(CardReaderError) -> [UInt8] {
    guard context != nil, !closed.load(ordering: .acquiring) else {
      throw CardReaderError(.sessionClosed, "session with \(reader) is closed")
    }
    var attempt = 0
    while true {
      attempt += 1
      var received = UInt(PCSC.maxResponseSize)
      do {
        try PCSCHandleTable.reading { () throws(PCSCError) in
          try pcscCall {
            command.withUnsafeBufferPointer { send in
              SCardTransmit(card, &request, send.baseAddress, UInt(send.count), nil, buffer, &received)
            }
          }
        }
      } catch .resetCard where attempt == 1 {
        // Another client reset the card: reconnect and send the command once more.
        var proto: UInt = 0
        do {
          try PCSCHandleTable.reading { () throws(PCSCError) in
            try pcscCall {
              SCardReconnect(card, PCSC.shareShared, PCSC.protocolT0 | PCSC.protocolT1, PCSC.leaveCard, &proto)
            }
          }
        } catch {
          throw error.readerError("reconnecting to \(reader) after a reset")
        }
        setProtocol(proto)
        continue
      } catch {
        throw error.readerError("transmit to \(reader)")
      }
      let count = Int(min(received, UInt(PCSC.maxResponseSize)))
      if count == 0 { throw emptyAnswerError() }
      return Array(UnsafeBufferPointer(start: buffer, count: count))
    }
  }

  /// An exchange that "succeeded" with no bytes at all: vpcd does this when the card's connection
  /// drops mid-command, and a contactless reader when the card leaves the field. pcscd may not have
  /// noticed the removal yet, so ask it, and otherwise call the card unresponsive.
  private func emptyAnswerError() -> CardReaderError {
    do {
      _ = try readATR()
    } catch {
      return error.readerError("card in \(reader) gave no answer")
    }
    return CardReaderError(
      .cardUnresponsive, "card in \(reader) gave an empty answer (it may have left the field)")
  }

  private func closeBlocking() {
    guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
    if let context {
      PCSCHandleTable.changing { _ = SCardDisconnect(card, PCSC.leaveCard) }
      context.release()
      self.context = nil
    }
  }
}

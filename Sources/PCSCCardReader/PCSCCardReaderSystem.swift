import CPCSCLite
import CardReader
import Foundation
import LocalFiles
import Logging

/// Live card readers through pcsc-lite's pcscd.
///
/// Every blocking libpcsclite call runs on a thread of its own, with a finite timeout; the event
/// stream survives pcscd restarts and reader hotplug without a restart of the terminal.
public final class PCSCCardReaderSystem: CardReaderSystem {
  /// Timeouts and back-off of the live reader layer.
  public struct Configuration: Sendable {
    /// Longest single SCardGetStatusChange wait (it is re-armed; this bounds shutdown and drift).
    public var statusTimeout: Duration
    /// First wait before reconnecting to pcscd; doubles on each failure.
    public var initialBackoff: Duration
    /// Longest wait between reconnection attempts.
    public var maxBackoff: Duration

    public init(
      statusTimeout: Duration = .seconds(2), initialBackoff: Duration = .milliseconds(100),
      maxBackoff: Duration = .seconds(2)
    ) {
      self.statusTimeout = statusTimeout
      self.initialBackoff = initialBackoff
      self.maxBackoff = maxBackoff
    }
  }

  public let configuration: Configuration
  let logger: Logger
  let calls = BlockingCallQueue(label: "pcsc-system")

  /// A reader system; `logger` receives recovery and error messages.
  public init(configuration: Configuration = Configuration(), logger: Logger) {
    self.configuration = configuration
    self.logger = logger
  }

  public func readers() async throws(CardReaderError) -> [ReaderStatus] {
    try await calls.run { () throws(CardReaderError) -> [ReaderStatus] in
      let context: PCSCContext
      do throws(PCSCError) { context = try PCSCContext() } catch { throw error.readerError("cannot reach pcscd") }
      defer { context.release() }
      let names: [String]
      do throws(PCSCError) { names = try context.listReaders() } catch { throw error.readerError("listing readers") }
      guard !names.isEmpty else { return [] }
      let cNames = names.map { strdup($0)! }
      defer { cNames.forEach { free($0) } }
      var states = [SCARD_READERSTATE](repeating: SCARD_READERSTATE(), count: names.count)
      for i in states.indices {
        states[i].szReader = UnsafePointer(cNames[i])
        states[i].dwCurrentState = PCSC.stateUnaware
      }
      do throws(PCSCError) {
        try pcscCall { SCardGetStatusChange(context.handle, 0, &states, UInt(states.count)) }
      } catch .timeout {
      } catch {
        throw error.readerError("reading reader states")
      }
      return zip(names, states).map { name, state in
        let present = state.dwEventState & PCSC.statePresent != 0
        let mute = state.dwEventState & PCSC.stateMute != 0
        let count = Int(min(state.cbAtr, UInt(MAX_ATR_SIZE)))
        let atr = withUnsafeBytes(of: state.rgbAtr) { Array($0.prefix(count)) }
        return ReaderStatus(name: name, atr: present && !mute ? atr : nil, cardUnresponsive: present && mute)
      }
    }
  }

  public func events() -> AsyncStream<ReaderEvent> {
    let (stream, continuation) = AsyncStream.makeStream(of: ReaderEvent.self, bufferingPolicy: .bufferingNewest(1024))
    let monitor = PCSCStatusMonitor(configuration: configuration, logger: logger, continuation: continuation)
    continuation.onTermination = { _ in monitor.stop() }
    monitor.start()
    return stream
  }

  public func connect(reader: String) async throws(CardReaderError) -> any CardSession {
    try await PCSCCardSession.open(reader: reader)
  }

  public func send(_ command: ReaderCommand, toReader reader: String) async throws(CardReaderError) -> [UInt8] {
    try await PCSCReaderControl.send(command, to: reader)
  }
}

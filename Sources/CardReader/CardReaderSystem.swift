/// The readers a terminal can see, and connections to the cards in them.
///
/// This is the only reader API the firmware depends on. `PCSCCardReaderSystem` (live, through
/// pcscd) and `SimulatedCardReaderSystem` (in-process, scripted) implement it interchangeably.
public protocol CardReaderSystem: Sendable {
  /// The readers present now and what is in each.
  func readers() async throws(CardReaderError) -> [ReaderStatus]

  /// A stream of reader events. It starts with the current state (a `readerAdded` per reader and
  /// a `cardInserted` per card present) and ends when the consumer stops iterating.
  func events() -> AsyncStream<ReaderEvent>

  /// Opens a session with the card in `reader`.
  func connect(reader: String) async throws(CardReaderError) -> any CardSession

  /// Sends a command to the reader itself (LED, buzzer, firmware) and returns its answer.
  func send(_ command: ReaderCommand, toReader reader: String) async throws(CardReaderError) -> [UInt8]
}

/// An open connection to one card.
public protocol CardSession: AnyObject, Sendable {
  /// The reader the card is in.
  var reader: String { get }
  /// The card's answer to reset, as reported.
  var atr: [UInt8] { get }

  /// Sends one command and returns the card's raw answer (data + SW), with no 61xx/6Cxx handling.
  func transmitRaw(_ command: [UInt8]) async throws(CardReaderError) -> [UInt8]

  /// Ends the session, leaving the card as it is. Further calls throw `sessionClosed`.
  func disconnect() async

  /// Where this session's exchanges are cheapest to run: a live session's own thread, so a task
  /// preferring it (`withTaskExecutorPreference`) talks to the card without a hop per APDU.
  /// `nil` when it makes no difference.
  var preferredExecutor: (any TaskExecutor)? { get }
}

extension CardSession {
  public var preferredExecutor: (any TaskExecutor)? { nil }

  /// Runs `body` on this session's preferred executor, if it has one.
  public func withPreferredExecutor<T: Sendable, E: Error>(
    _ body: () async throws(E) -> T
  ) async throws(E) -> T {
    try await withTaskExecutorPreference(preferredExecutor, operation: body)
  }
}

extension CardSession {
  /// Sends a command and returns the complete response: follows 61xx with GET RESPONSE, resends
  /// with the right Le on 6Cxx, and checks the answer's shape.
  public func transmit(_ command: CommandAPDU) async throws(CardReaderError) -> ResponseAPDU {
    try await APDUExchange.run(command) { bytes throws(CardReaderError) in
      try await self.transmitRaw(bytes)
    }
  }
}

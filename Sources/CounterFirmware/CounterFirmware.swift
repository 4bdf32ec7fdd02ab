import Logging
import LoyaltyCore

/// The counter's driver: feeds inputs to the `CounterMachine` one at a time and performs the
/// effects it returns — the display, the buzzer/LED, the log, and storage calls, whose answers
/// come back as inputs.
///
/// `handle(_:)` never waits for storage: a look-up or a write runs in a task of its own while
/// taps, keys and ticks go on being handled (the machine's `.recording` state decides what they
/// may do meanwhile). It talks to hardware only through `CounterDisplay`, `CounterIndicator`,
/// `CounterClock` and `CounterStorage`.
public actor CounterFirmware {
  public typealias Settings = CounterMachine.Settings

  public nonisolated let settings: Settings
  let storage: any CounterStorage
  let display: any CounterDisplay
  let indicator: any CounterIndicator
  let clock: any CounterClock
  let logger: Logger
  /// The card on the reader's key and signature, told of every tap (nil: cards are never asked).
  let signer: (any CardSigner)?
  private var machine: CounterMachine
  /// Storage calls in flight, and who waits for them to be answered.
  private var inFlight = 0
  private var settled: [CheckedContinuation<Void, Never>] = []

  public init(
    settings: Settings, storage: any CounterStorage, display: any CounterDisplay, indicator: any CounterIndicator,
    clock: any CounterClock, logger: Logger, signer: (any CardSigner)? = nil
  ) {
    self.settings = settings
    self.signer = signer
    self.storage = storage
    self.display = display
    self.indicator = indicator
    self.clock = clock
    self.logger = logger
    machine = CounterMachine(settings: settings)
    display.show(machine.screen)
    inFlight = 1
    Task { await self.loadProgram() }
  }

  public var state: CounterState { machine.state }
  /// When the current screen times out.
  public var deadline: UTCInstant? { machine.deadline }
  /// The sale waiting for a card, if one still waits.
  public var openSale: WaitingSale? { machine.openSale }
  /// The current screen.
  public var screen: Screen { machine.screen }

  /// Handles one input and performs its effects; returns before any storage call it starts ends.
  public func handle(_ input: CounterInput) {
    if let signer {
      // The signer knows the card before any effect of its tap asks for its key.
      switch input {
      case .tap(let tap): signer.tapped(tap)
      case .cardRemoved: signer.removed()
      default: break
      }
    }
    for effect in machine.handle(input, at: clock.now) { perform(effect) }
  }

  /// Waits until every storage call started so far has been answered and handled.
  public func settle() async {
    guard inFlight > 0 else { return }
    await withCheckedContinuation { settled.append($0) }
  }

  private func perform(_ effect: CounterEffect) {
    switch effect {
    case .draw(let screen): display.show(screen)
    case .signal(let signal): indicator.signal(signal)
    case .log(let message, let metadata):
      logger.info("\(message)", metadata: metadata.mapValues { .string($0) })
    case .identify(let card, let at):
      run { storage in .identified(card: card, await Self.result { try await storage.identify(card: card, at: at) }) }
    case .findReceipt(let number, let terminal, let card):
      let at = clock.now
      run { storage in
        .receiptFound(
          number, await Self.result { try await storage.receipt(number, terminal: terminal, card: card, at: at) })
      }
    case .check(let operation, let context):
      run { storage in
        .checked(
          operation, await Self.result { try await storage.perform(operation, context: context, dryRun: true) })
      }
    case .record(let operation, let context):
      run { storage in
        .recorded(
          operation, await Self.result { try await storage.perform(operation, context: context, dryRun: false) })
      }
    }
  }

  /// Runs a storage call in its own task and hands its answer back as an input.
  private func run(_ call: @escaping @Sendable (any CounterStorage) async -> CounterInput) {
    inFlight += 1
    let storage = self.storage
    Task {
      let answer = await call(storage)
      await self.answered(answer)
    }
  }

  private func answered(_ input: CounterInput) {
    handle(input)
    finishOne()
  }

  private func loadProgram() async {
    let program = try? await storage.program()
    let standAlone = (try? await storage.isStandAlone()) ?? false
    handle(.program(program, standAlone: standAlone))
    finishOne()
  }

  private func finishOne() {
    inFlight -= 1
    if inFlight == 0 {
      let waiting = settled
      settled = []
      for continuation in waiting { continuation.resume() }
    }
  }

  private static func result<T>(_ body: () async throws -> T) async -> Result<T, CounterFailure> {
    do { return .success(try await body()) } catch { return .failure(CounterFailure(error)) }
  }

  /// The purchase categories the keypad offers, in order (1…n).
  public nonisolated static func categories(of program: LoyaltyProgram?) -> [String] {
    CounterMachine.categories(of: program)
  }
}

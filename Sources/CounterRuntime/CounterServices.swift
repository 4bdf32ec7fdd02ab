import CardIdentification
import CardReader
import CounterFirmware
import Logging
import ServiceLifecycle

/// The counter's run loop as services of one `ServiceGroup` (`counterServiceGroup`): the reader's
/// taps, the firmware's tick and the cashier's (or a script's) commands, each feeding the one
/// `CounterFirmware`. The commands end the group (quit, the end of a script); SIGINT and SIGTERM
/// shut it down gracefully: the commands stop being read after the one in hand is done, then
/// the tick stops, then the taps.

/// Whatever places a card on the reader and takes it away when a command says `tap CARD` or
/// `remove` (the cashier's hand over the simulated reader, `run --simulated`). The runtime knows
/// no simulator: the command line passes one in.
public protocol CounterHand: Sendable {
  /// The reader the hand places cards on.
  var reader: String { get }
  /// Places the card `id` names on the reader; nil when placed, else why not, in words.
  func place(_ id: String) -> String?
  /// The answer to reset of the card on the reader (empty when none).
  func atr() async -> [UInt8]
  /// Takes the card away.
  func remove()
}

/// The reader's events to the firmware: taps, cards taken away, the reader going offline and
/// back; other statuses on the console's status line. When a script drives the simulated reader
/// (`watchesTaps` false) its taps are played in line order by `CounterInputService` instead, and
/// this service only says whether a reader was there at the start.
public struct TapService: Service {
  let firmware: CounterFirmware
  let system: any CardReaderSystem
  let watcher: TapWatcher
  let watchesTaps: Bool
  let readersAtStart: [String]?
  let useReader: @Sendable (String) -> Void
  let status: @Sendable (String) -> Void

  /// - Parameters:
  ///   - readersAtStart: the readers there when the counter started (nil: asked when the service
  ///     starts); none, and the idle screen says the reader is offline.
  ///   - useReader: called with the reader of each tap before the firmware hears of it (the
  ///     reader's LED and buzzer answer that tap: `ReaderFeedbackIndicator.use(reader:)`).
  ///   - status: a reader status for the console's status line.
  public init(
    firmware: CounterFirmware, system: any CardReaderSystem, watcher: TapWatcher, watchesTaps: Bool = true,
    readersAtStart: [String]? = nil, useReader: @escaping @Sendable (String) -> Void = { _ in },
    status: @escaping @Sendable (String) -> Void
  ) {
    self.firmware = firmware
    self.system = system
    self.watcher = watcher
    self.watchesTaps = watchesTaps
    self.readersAtStart = readersAtStart
    self.useReader = useReader
    self.status = status
  }

  public func run() async throws {
    // The idle screen says when no reader can read cards (service lost, reader unplugged).
    var readers = readersAtStart
    if readers == nil { readers = (try? await system.readers().map(\.name)) ?? [] }
    var presence = ReaderPresence(readers: readers ?? [])
    if !presence.online { await firmware.handle(.reader(online: false)) }
    if watchesTaps {
      await cancelWhenGracefulShutdown { [self, presence] in
        var presence = presence
        for await event in watcher.events() {
          if case .status(let status) = event, let online = presence.update(status) {
            await firmware.handle(.reader(online: online))
          }
          switch event {
          case .tap(let tap):
            useReader(tap.reader)
            await firmware.handle(.tap(tap))
          case .status(.cardRemoved): await firmware.handle(.cardRemoved)
          case .status(let status): self.status("\(status)")
          }
        }
      }
    }
    // Nothing more to watch (or the reader's events ended): stays until the group shuts down,
    // as a service that ended early would end the group.
    try? await gracefulShutdown()
  }
}

/// The firmware's tick (screens that time out), every `interval` on `clock`.
public struct TickService<C: Clock>: Service where C.Duration == Duration {
  let firmware: CounterFirmware
  let interval: Duration
  let clock: C

  public init(firmware: CounterFirmware, every interval: Duration = .milliseconds(500), clock: C) {
    self.firmware = firmware
    self.interval = interval
    self.clock = clock
  }

  public func run() async throws {
    await cancelWhenGracefulShutdown { [self] in
      while !Task.isCancelled {
        do { try await clock.sleep(for: interval) } catch { return }
        await firmware.handle(.tick)
      }
    }
  }
}

extension TickService where C == ContinuousClock {
  /// Ticks on the system's continuous clock.
  public init(firmware: CounterFirmware, every interval: Duration = .milliseconds(500)) {
    self.init(firmware: firmware, every: interval, clock: ContinuousClock())
  }
}

/// The cashier's keys and codes, or a script's lines, to the firmware, one command at a time.
/// It ends on `quit` or the end of input, and the group with it (run it with
/// `successTerminationBehavior: .gracefullyShutdownGroup`); on graceful shutdown it finishes the
/// command in hand and reads no more.
///
/// A script (`script` true) is deterministic: each command waits until the firmware settled
/// (every storage call answered) before it and after it, keys are pressed one after the other's
/// screen, `wait` moves the script's clock, and `tap`/`remove` are played here in line order.
public struct CounterInputService: Service {
  let commands: AsyncStream<CounterCommand>
  let firmware: CounterFirmware
  let script: Bool
  let scriptClock: ManualCounterClock?
  let hand: (any CounterHand)?
  let watcher: TapWatcher
  let status: @Sendable (String) -> Void

  /// - Parameters:
  ///   - scriptClock: the clock `wait` moves (nil: `wait` only ticks).
  ///   - hand: what `tap` and `remove` use (nil: `tap` says it needs --simulated).
  ///   - watcher: reads the card a script's `tap` placed.
  ///   - status: a message for the console's status line.
  public init(
    commands: AsyncStream<CounterCommand>, firmware: CounterFirmware, script: Bool,
    scriptClock: ManualCounterClock? = nil, hand: (any CounterHand)?, watcher: TapWatcher,
    status: @escaping @Sendable (String) -> Void
  ) {
    self.commands = commands
    self.firmware = firmware
    self.script = script
    self.scriptClock = scriptClock
    self.hand = hand
    self.watcher = watcher
    self.status = status
  }

  public func run() async throws {
    for await command in commands.cancelOnGracefulShutdown() {
      if script { await firmware.settle() }
      switch command {
      case .quit: return
      case .keys(let keys):
        for key in keys {
          await firmware.handle(.key(key))
          // A script's keys are pressed as a cashier's: each after the screen answered the last.
          if script { await firmware.settle() }
        }
      case .scan(let code): await firmware.handle(.scan(code))
      case .wait(let seconds):
        scriptClock?.advance(seconds: seconds)
        await firmware.handle(.tick)
      case .tap(let id):
        guard let hand else {
          status("tap needs --simulated; on a real reader, tap a real card")
          continue
        }
        if let problem = hand.place(id) {
          status(problem)
          continue
        }
        if script {
          await firmware.handle(.tap(await watcher.read(reader: hand.reader, atr: await hand.atr(), seen: .now)))
        }
      case .remove:
        hand?.remove()
        if script { await firmware.handle(.cardRemoved) }
      }
      if script { await firmware.settle() }
    }
  }
}

/// The counter's run loop: the taps, the tick and the commands in one group that shuts down
/// gracefully on SIGINT and SIGTERM (and when the commands end). `run()` returns once every
/// service has stopped.
public func counterServiceGroup(
  taps: TapService, tick: some Service, input: CounterInputService, logger: Logger
) -> ServiceGroup {
  ServiceGroup(
    configuration: ServiceGroupConfiguration(
      services: [
        .init(service: taps, serviceName: "taps"),
        .init(service: tick, serviceName: "tick"),
        .init(service: input, successTerminationBehavior: .gracefullyShutdownGroup, serviceName: "input"),
      ],
      gracefulShutdownSignals: [.sigterm, .sigint],
      logger: logger))
}

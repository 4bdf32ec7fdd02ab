import CardEmulation
import CardIdentification
import CardReader
import CounterFirmware
import CounterRuntime
import Logging
import LoyaltyCore
import PointsCache
import SimulatedCardReader

/// One counter in simulation: the real firmware and a real cache on disk, with a simulated
/// reader, display, indicator and a hand-set clock. Taps go through the simulated reader's
/// APDUs and the real card identification, exactly as on a live reader.
public struct SimulatedCounter: Sendable {
  public static let reader = "Simulated Reader 0"
  public let firmware: CounterFirmware
  public let readers: SimulatedCardReaderSystem
  public let watcher: TapWatcher
  public let display: RecordingDisplay
  public let indicator: RecordingIndicator
  public let clock: ManualCounterClock
  public let cache: PointsCache

  /// A counter on its cache, whose cards sign what they spend when they can (`CardProof`).
  public init(terminal: String, cache: PointsCache, clock: ManualCounterClock, logger: Logger) throws {
    let readers = SimulatedCardReaderSystem(readers: [Self.reader])
    let signer = ReaderCardSigner(system: readers)
    try self.init(
      terminal: terminal, storage: PointsCacheStorage(cache: cache, signer: signer), cache: cache, clock: clock,
      logger: logger, readers: readers, signer: signer)
  }

  /// A counter on any storage (a test's gated one); `cache` is what the scenario tools read.
  /// `signer`, when the storage asks cards to sign, hears of every tap.
  public init(
    terminal: String, storage: any CounterStorage, cache: PointsCache, clock: ManualCounterClock, logger: Logger,
    readers: SimulatedCardReaderSystem = SimulatedCardReaderSystem(readers: [SimulatedCounter.reader]),
    signer: (any CardSigner)? = nil
  ) throws {
    self.cache = cache
    self.clock = clock
    self.readers = readers
    watcher = TapWatcher(system: readers, identifier: CardIdentifier(profiles: CardProfiles.builtIn()))
    display = RecordingDisplay()
    indicator = RecordingIndicator()
    firmware = CounterFirmware(
      settings: .init(terminal: terminal), storage: storage, display: display,
      indicator: indicator, clock: clock, logger: logger, signer: signer)
  }

  /// Puts `card` on the reader, reads it as the live loop would, and hands the tap to the firmware.
  public func tap(_ card: any EmulatedCard, faults: [SimulatedFault] = []) async {
    readers.insert(card, into: Self.reader, faults: faults)
    let atr = (try? await readers.readers().first { $0.name == Self.reader }?.atr) ?? nil
    let result = await watcher.read(reader: Self.reader, atr: atr ?? [], seen: .now)
    await firmware.handle(.tap(result))
    await firmware.settle()
  }

  /// Takes the card off the reader.
  public func remove() async {
    readers.remove(from: Self.reader)
    await firmware.handle(.cardRemoved)
    await firmware.settle()
  }

  /// Presses keys as a cashier does: each after the screen has answered the one before.
  public func press(_ keys: CounterKey...) async {
    for key in keys {
      await firmware.handle(.key(key))
      await firmware.settle()
    }
  }

  /// Types a number on the keypad.
  public func type(_ number: Int64) async {
    for c in String(number) { await firmware.handle(.key(.digit(Int(String(c))!))) }
  }

  public func scan(_ code: String) async {
    await firmware.handle(.scan(code))
    await firmware.settle()
  }
}

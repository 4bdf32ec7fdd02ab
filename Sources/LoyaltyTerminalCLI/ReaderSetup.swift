import ArgumentParser
import CardIdentification
import CardReader
import CounterFirmware
import CounterRuntime
import Foundation
import Logging
import PCSCCardReader
import SimulatedCardReader

extension ReaderOptions {
  /// The ATR profile table: the file named by --card-profiles, or the default (see `CardProfiles.standard()`).
  public func loadProfiles() throws -> CardProfiles {
    if let path = cardProfiles { return try CardProfiles.load(from: URL(fileURLWithPath: path)) }
    return try CardProfiles.standard()
  }

  /// The reader LED/buzzer profiles: the file named by --reader-profiles, or the default (see
  /// `ReaderProfiles.standard()`: $LOYALTY_READER_PROFILES, /etc, the built-in table).
  public func loadReaderProfiles() throws -> ReaderProfiles {
    if let path = readerProfiles { return try ReaderProfiles.load(from: URL(fileURLWithPath: path)) }
    return try ReaderProfiles.standard()
  }

  /// The live reader system, or the simulator playing the demo taps when --simulated is given.
  /// Fails with what to install when the live reader is asked for and pcsc-lite is missing.
  public func makeSystem(logger: Logger) throws -> (system: any CardReaderSystem, simulator: SimulatedCardReaderSystem?)
  {
    if simulated {
      let sim = SimulatedCardReaderSystem(readers: [SimulatedTaps.readerName])
      return (sim, sim)
    }
    try PCSCLibrary.load()
    return (PCSCCardReaderSystem(logger: logger), nil)
  }

  /// The reader system for the counter's run loop, with the cashier's hand on the simulated reader
  /// when --simulated is given.
  func makeCounterSystem(logger: Logger) throws -> (system: any CardReaderSystem, hand: SimulatedHand?) {
    let (system, simulator) = try makeSystem(logger: logger)
    return (system, simulator.map { SimulatedHand(simulator: $0) })
  }
}

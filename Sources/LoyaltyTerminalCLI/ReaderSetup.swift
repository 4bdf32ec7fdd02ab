import ArgumentParser
import CardIdentification
import CardReader
import Foundation
import Logging
import PCSCCardReader
import SimulatedCardReader

extension ReaderOptions {
  /// The ATR profile table: the file named by --card-profiles, or the built-in copy.
  func loadProfiles() throws -> CardProfiles {
    do {
      if let path = cardProfiles { return try CardProfiles.load(from: URL(fileURLWithPath: path)) }
      return try CardProfiles.standard()
    } catch {
      throw ValidationError("\(error)")
    }
  }

  /// The live reader system, or the simulator playing the demo taps when --simulated is given.
  func makeSystem(logger: Logger) -> (system: any CardReaderSystem, simulator: SimulatedCardReaderSystem?) {
    if simulated {
      let sim = SimulatedCardReaderSystem(readers: [SimulatedTaps.readerName])
      return (sim, sim)
    }
    return (PCSCCardReaderSystem(logger: logger), nil)
  }
}

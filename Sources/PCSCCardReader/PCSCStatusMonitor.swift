import CPCSCLite
import CardReader
import Foundation
import Logging
import Synchronization

/// Watches pcscd for reader and card changes on its own thread and context, and recovers by
/// itself when pcscd goes away: release, back off, re-establish, re-list.
final class PCSCStatusMonitor: Sendable {
  /// What the monitor last saw of one reader.
  struct Known {
    var eventState: UInt = PCSC.stateUnaware
    var present = false
    var mute = false
    var counter: UInt = 0
  }

  struct Shared {
    var context: PCSCContext?
    var cancelled = false
  }

  let configuration: PCSCCardReaderSystem.Configuration
  let logger: Logger
  let continuation: AsyncStream<ReaderEvent>.Continuation
  let shared = Mutex(Shared())
  let wakeup = NSCondition()

  init(
    configuration: PCSCCardReaderSystem.Configuration, logger: Logger,
    continuation: AsyncStream<ReaderEvent>.Continuation
  ) {
    self.configuration = configuration
    self.logger = logger
    self.continuation = continuation
  }

  func start() {
    let thread = Thread { [self] in run() }
    thread.name = "pcsc-status-monitor"
    thread.start()
  }

  /// Stops the monitor: cancels the blocking wait (SCardCancel on the waiting context).
  func stop() {
    shared.withLock { s in
      s.cancelled = true
      s.context?.cancel()
    }
    wakeup.lock()
    wakeup.broadcast()
    wakeup.unlock()
  }

  var isCancelled: Bool { shared.withLock { $0.cancelled } }

  // MARK: The loop

  func run() {
    var known: [String: Known] = [:]
    var serviceUp = true
    var backoff = configuration.initialBackoff
    while !isCancelled {
      let context: PCSCContext
      do {
        context = try PCSCContext()
      } catch {
        if serviceUp {
          serviceUp = false
          dropAll(&known)
          continuation.yield(.serviceUnavailable(error.readerError("cannot reach pcscd")))
        }
        logger.debug("pcscd unreachable; retrying", metadata: ["error": "\(error)", "backoff": "\(backoff)"])
        pause(backoff)
        backoff = min(backoff * 2, configuration.maxBackoff)
        continue
      }
      let published = shared.withLock { s -> Bool in
        guard !s.cancelled else { return false }
        s.context = context
        return true
      }
      guard published else {
        context.release()
        break
      }
      if !serviceUp {
        serviceUp = true
        logger.info("pcscd reachable again")
        continuation.yield(.serviceRestored)
      }
      backoff = configuration.initialBackoff
      let lost = watch(context, &known)
      shared.withLock { s in
        s.context = nil
        context.release()
      }
      if let lost {
        serviceUp = false
        dropAll(&known)
        logger.warning("lost pcscd", metadata: ["error": "\(lost)"])
        continuation.yield(.serviceUnavailable(lost.readerError("lost pcscd")))
        pause(backoff)
      }
    }
    continuation.finish()
  }

  /// Waits for changes on `context` until cancelled (returns nil) or the service is lost.
  func watch(_ context: PCSCContext, _ known: inout [String: Known]) -> PCSCError? {
    var pnpState = PCSC.stateUnaware
    let timeout =
      UInt(configuration.statusTimeout.components.seconds * 1000)
      + UInt(configuration.statusTimeout.components.attoseconds / 1_000_000_000_000_000)
    while !isCancelled {
      let names: [String]
      do {
        names = try context.listReaders()
      } catch {
        if error.meansServiceLost { return error }
        logger.warning("listing readers failed", metadata: ["error": "\(error)"])
        names = []
      }
      for gone in known.keys where !names.contains(gone) {
        drop(gone, &known)
      }
      for name in names where known[name] == nil {
        known[name] = Known()
        continuation.yield(.readerAdded(reader: name))
      }

      let allNames = [PCSC.pnpNotification] + names
      let cNames = allNames.map { strdup($0)! }
      defer { cNames.forEach { free($0) } }
      var states = [SCARD_READERSTATE](repeating: SCARD_READERSTATE(), count: allNames.count)
      for i in states.indices {
        states[i].szReader = UnsafePointer(cNames[i])
        states[i].dwCurrentState = i == 0 ? pnpState : (known[allNames[i]]?.eventState ?? PCSC.stateUnaware)
      }
      do {
        try pcscCall { SCardGetStatusChange(context.handle, timeout, &states, UInt(states.count)) }
      } catch .timeout {
        continue
      } catch .cancelled {
        continue  // the loop condition tells a shutdown from a spurious cancel
      } catch .unknownReader {
        continue  // a reader went away between listing and waiting: list again
      } catch {
        if error.meansServiceLost { return error }
        logger.warning("SCardGetStatusChange failed", metadata: ["error": "\(error)"])
        pause(configuration.initialBackoff)
        continue
      }
      pnpState = states[0].dwEventState & ~PCSC.stateChanged
      for i in states.indices.dropFirst() {
        apply(states[i], name: allNames[i], &known)
      }
    }
    return nil
  }

  /// Turns one reader's new state into events.
  func apply(_ state: SCARD_READERSTATE, name: String, _ known: inout [String: Known]) {
    let ev = state.dwEventState
    if ev & (PCSC.stateUnknown | PCSC.stateIgnore) != 0 {
      drop(name, &known)
      return
    }
    var k = known[name] ?? Known()
    let present = ev & PCSC.statePresent != 0
    let mute = ev & PCSC.stateMute != 0
    let counter = ev >> 16
    if present {
      let newCard = !k.present || counter != k.counter
      if newCard && k.present { continuation.yield(.cardRemoved(reader: name)) }
      if newCard || (k.mute && !mute) {
        if mute {
          continuation.yield(.cardUnresponsive(reader: name))
        } else {
          let count = Int(min(state.cbAtr, UInt(MAX_ATR_SIZE)))
          let atr = withUnsafeBytes(of: state.rgbAtr) { Array($0.prefix(count)) }
          continuation.yield(.cardInserted(reader: name, atr: atr))
        }
      }
    } else if k.present {
      continuation.yield(.cardRemoved(reader: name))
    }
    k.eventState = ev & ~PCSC.stateChanged
    k.present = present
    k.mute = mute
    k.counter = counter
    known[name] = k
  }

  func drop(_ name: String, _ known: inout [String: Known]) {
    guard let k = known.removeValue(forKey: name) else { return }
    if k.present { continuation.yield(.cardRemoved(reader: name)) }
    continuation.yield(.readerRemoved(reader: name))
  }

  func dropAll(_ known: inout [String: Known]) {
    for name in known.keys.sorted() { drop(name, &known) }
  }

  /// Sleeps for `duration` unless stopped first.
  func pause(_ duration: Duration) {
    let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    wakeup.lock()
    defer { wakeup.unlock() }
    if !isCancelled { _ = wakeup.wait(until: Date(timeIntervalSinceNow: seconds)) }
  }
}

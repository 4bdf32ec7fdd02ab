import CounterFirmware
import LoyaltyCore
import Synchronization

/// A display that remembers what it showed (the latest screen, and the last 1 000).
public final class RecordingDisplay: CounterDisplay {
  let screens = Mutex<[Screen]>([])

  public init() {}

  public func show(_ screen: Screen) {
    screens.withLock {
      $0.append(screen)
      if $0.count > 1_000 { $0.removeFirst($0.count - 1_000) }
    }
  }

  /// The screen on display now.
  public var current: Screen { screens.withLock { $0.last ?? Screen([]) } }
  public var history: [Screen] { screens.withLock { $0 } }
}

/// A buzzer/LED that remembers its signals (the last 1 000).
public final class RecordingIndicator: CounterIndicator {
  let signals = Mutex<[CounterSignal]>([])

  public init() {}

  public func signal(_ signal: CounterSignal) {
    signals.withLock {
      $0.append(signal)
      if $0.count > 1_000 { $0.removeFirst($0.count - 1_000) }
    }
  }
  public var history: [CounterSignal] { signals.withLock { $0 } }
}

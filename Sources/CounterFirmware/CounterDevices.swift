import Foundation
import LoyaltyCore

/// A key on the counter's keypad.
public enum CounterKey: Hashable, Sendable {
  case digit(Int)
  /// Confirm / next.
  case ok
  /// Cancel: back to idle, nothing recorded.
  case cancel
  /// The clear key (Backspace on a keyboard): removes the last digit typed. Screens that take
  /// digits show it as "<=del".
  case clear
  /// Function keys.
  case purchase, redeem, refund, block
}

/// What the 4×20 character display shows: exactly four lines of at most twenty characters.
public struct Screen: Hashable, Sendable, CustomStringConvertible {
  public static let width = 20
  public static let height = 4
  public private(set) var lines: [String]

  /// Lines beyond four are dropped, characters beyond twenty cut, missing lines blank.
  public init(_ lines: [String]) {
    var fitted = lines.prefix(Self.height).map { String($0.prefix(Self.width)) }
    while fitted.count < Self.height { fitted.append("") }
    self.lines = fitted
  }

  public var description: String { lines.joined(separator: "\n") }
}

/// The character display.
public protocol CounterDisplay: Sendable {
  func show(_ screen: Screen)
}

/// The buzzer and LED.
public enum CounterSignal: Hashable, Sendable {
  /// One short beep, green: a card read, an operation recorded.
  case success
  /// Two low beeps, red: a refusal or an unreadable card.
  case failure
  /// Amber: waiting for the cashier.
  case attention
}

public protocol CounterIndicator: Sendable {
  func signal(_ signal: CounterSignal)
}

/// The counter's wall clock (recorded times; timeouts).
public protocol CounterClock: Sendable {
  var now: UTCInstant { get }
}

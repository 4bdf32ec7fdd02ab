import CardEmulation
import CardReader

/// A fault the simulated reader injects into one card's exchanges.
public enum SimulatedFault: Hashable, Sendable {
  /// The card leaves the field while the `command`-th command (1-based) of its sessions is in
  /// flight: that command fails with `cardRemoved` and a `cardRemoved` event follows.
  case removedDuringCommand(Int)
  /// Every answer takes this long (a slow card). Longer than the transmit timeout is a `timeout`.
  case slow(Duration)
  /// The card never answers a command: each one ends in `timeout` after the transmit timeout.
  case mute
  /// The card is in the field but gives no ATR (the reader reports it unresponsive).
  case noATR
  /// The reader reports this ATR instead of the card's own (e.g. a truncated or corrupted one).
  case malformedATR([UInt8])
  /// Every raw answer is cut to this many bytes (0 or 1 lose the status word).
  case truncatedResponses(Int)
  /// Every answer carries this many extra data bytes before the status word.
  case oversizedResponses(Int)
  /// Answers to commands with this INS (or every command when `nil`) end with `statusWord`.
  case wrongStatusWord(StatusWord, ins: UInt8?)
}

/// One scripted tap: a card held in the field for a while.
public struct SimulatedTap: Sendable {
  public var card: any EmulatedCard
  public var faults: [SimulatedFault]
  /// How long the card stays in the field.
  public var hold: Duration
  /// The pause after the card is taken away.
  public var gap: Duration

  public init(
    card: any EmulatedCard, faults: [SimulatedFault] = [], hold: Duration = .milliseconds(300),
    gap: Duration = .milliseconds(200)
  ) {
    self.card = card
    self.faults = faults
    self.hold = hold
    self.gap = gap
  }
}

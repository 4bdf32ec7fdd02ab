import CounterFirmware
import Foundation
import Synchronization

/// The counter's display and buzzer on this process's terminal: drawn full-screen (ANSI) for a
/// cashier, or one line per screen for a script.
public final class ConsoleDevices: CounterDisplay, CounterIndicator {
  public enum Mode: Sendable { case fullScreen, lines }
  public let mode: Mode
  public let terminal: String
  let lastScreen = Mutex<Screen?>(nil)
  let status = Mutex<String>("")

  public init(mode: Mode, terminal: String) {
    self.mode = mode
    self.terminal = terminal
  }

  public func show(_ screen: Screen) {
    let changed = lastScreen.withLock { last -> Bool in
      defer { last = screen }
      return last != screen
    }
    guard changed else { return }
    switch mode {
    case .lines:
      writeLine("screen: " + screen.lines.map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " | "))
    case .fullScreen: draw()
    }
  }

  public func signal(_ signal: CounterSignal) {
    switch mode {
    case .lines: writeLine("signal: \(signal)")
    case .fullScreen:
      if signal == .failure { FileHandle.standardOutput.write(Data("\u{07}".utf8)) }
      setStatus(signal == .success ? "♪ beep (green)" : signal == .failure ? "♪ beep beep (red)" : "(amber)")
    }
  }

  public func setStatus(_ text: String) {
    status.withLock { $0 = text }
    if mode == .fullScreen { draw() } else if !text.isEmpty { writeLine("status: \(text)") }
  }

  /// Redraws the whole device: display, keypad legend, status line.
  public func draw() {
    let screen = lastScreen.withLock { $0 } ?? Screen([])
    let bar = String(repeating: "─", count: Screen.width)
    var out = "\u{1B}[2J\u{1B}[H"
    out += "  Loyalty terminal \(terminal)\r\n\r\n"
    out += "  ┌\(bar)┐\r\n"
    for line in screen.lines {
      out += "  │\(line.padding(toLength: Screen.width, withPad: " ", startingAt: 0))│\r\n"
    }
    out += "  └\(bar)┘\r\n\r\n"
    out += "  0-9 digits   Enter OK   Esc/c cancel   Backspace clear\r\n"
    out += "  p purchase   r redeem   f refund     b block\r\n"
    out += "  s scan a code (receipt, card) then Enter\r\n"
    out += "  t tap a card ID then Enter (--simulated)   u take the card away   q quit\r\n\r\n"
    out += "  \(status.withLock { $0 })\r\n"
    FileHandle.standardOutput.write(Data(out.utf8))
  }

  /// One line on stdout, written at once (a program reading the pipe sees each screen as it comes).
  private func writeLine(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
  }
}

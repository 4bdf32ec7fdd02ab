import CounterFirmware
import Foundation
import Synchronization
import SystemPackage

/// Reads the process's input on a thread of its own and turns it into counter commands: script
/// lines, or single keystrokes of the full-screen UI (with `s`/`t` starting a code ended by Enter).
public enum KeyboardReader {
  /// The script lines skipped so far (`lines`): the run then exits 1 (the command line's
  /// `checkSkippedLines`).
  static let skipped = Mutex(0)

  /// How many script lines were skipped so far.
  public static var skippedLines: Int { skipped.withLock { $0 } }

  /// Script mode: one command per line; a bad line is reported on stderr, counted and skipped.
  /// `quit` ends the script as the end of input does (what follows it is not read).
  public static func lines(
    into sink: @escaping @Sendable (CounterCommand) -> Void, finished: @escaping @Sendable () -> Void
  ) {
    let thread = Thread {
      var number = 0
      while let line = readLine() {
        number += 1
        do throws(CounterCommandError) {
          let command = try CounterCommand.parse(line)
          if command == .quit { break }
          if let command { sink(command) }
        } catch {
          FileHandle.standardError.write(Data("script line \(number): \(error.description)\n".utf8))
          skipped.withLock { $0 += 1 }
        }
      }
      finished()
    }
    thread.start()
  }

  /// Full-screen mode: raw keystrokes. Returns the terminal's settings as they were, to restore
  /// on the way out; nil when stdin is not a terminal.
  public static func keystrokes(
    into sink: @escaping @Sendable (CounterCommand) -> Void, status: @escaping @Sendable (String) -> Void
  ) -> TerminalSettings? {
    var saved = termios()
    guard isatty(0) == 1, tcgetattr(0, &saved) == 0 else { return nil }
    var raw = saved
    raw.c_lflag &= ~tcflag_t(ICANON | ECHO | ISIG)
    tcsetattr(0, TCSANOW, &raw)
    let thread = Thread {
      var buffer: String?
      var bufferIsTap = false
      var byte: UInt8 = 0
      // One keystroke at a time (again after EINTR); the end of input or an error ends the loop.
      func next() -> Bool {
        let n = try? withUnsafeMutableBytes(of: &byte) { try FileDescriptor.standardInput.read(into: $0) }
        return n == 1
      }
      while next() {
        let c = Character(UnicodeScalar(byte))
        if var typed = buffer {
          switch byte {
          case 0x0D, 0x0A:
            sink(bufferIsTap ? .tap(typed) : .scan(typed))
            buffer = nil
          case 0x1B, 0x03: buffer = nil
          case 0x7F, 0x08: typed = String(typed.dropLast())
          default: if typed.count < 64, byte >= 0x20, byte < 0x7F { typed.append(c) }
          }
          if buffer != nil { buffer = typed }
          status(buffer.map { (bufferIsTap ? "tap card: " : "scan: ") + $0 } ?? "")
          continue
        }
        switch byte {
        case 0x30...0x39: sink(.keys([.digit(Int(byte - 0x30))]))
        case 0x0D, 0x0A: sink(.keys([.ok]))
        case 0x1B, UInt8(ascii: "c"): sink(.keys([.cancel]))
        case 0x7F, 0x08: sink(.keys([.clear]))
        case UInt8(ascii: "p"): sink(.keys([.purchase]))
        case UInt8(ascii: "r"): sink(.keys([.redeem]))
        case UInt8(ascii: "f"): sink(.keys([.refund]))
        case UInt8(ascii: "b"): sink(.keys([.block]))
        case UInt8(ascii: "u"): sink(.remove)
        case UInt8(ascii: "s"), UInt8(ascii: "t"):
          buffer = ""
          bufferIsTap = byte == UInt8(ascii: "t")
          status(bufferIsTap ? "tap card: " : "scan: ")
        case UInt8(ascii: "q"), 0x03, 0x04:
          sink(.quit)
          return
        default: break
        }
      }
      sink(.quit)
    }
    thread.start()
    return TerminalSettings(saved: saved)
  }
}

/// A terminal's settings as they were before the full-screen UI made it raw.
public struct TerminalSettings: Sendable {
  let saved: termios

  /// Puts stdin's terminal back as it was (echo, line editing, Ctrl-C).
  public func restore() {
    var settings = saved
    tcsetattr(0, TCSANOW, &settings)
  }
}

import CounterFirmware

/// One line of `run --script` input, or one finished entry of the full-screen keyboard.
public enum CounterCommand: Equatable, Sendable {
  case keys([CounterKey])
  case scan(String)
  case tap(String)
  case remove
  /// Time passes on the script's clock (seconds).
  case wait(Int64)
  case quit

  /// Parses a script line: `press purchase 1 1250 ok ok`, `scan R1`, `tap 04A1B2C3D4E5F6`,
  /// `remove`, `quit`. Blank lines and `#` comments give nil; anything else is an error.
  public static func parse(_ line: String) throws(CounterCommandError) -> CounterCommand? {
    let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
    guard let verb = words.first, !verb.hasPrefix("#") else { return nil }
    let rest = Array(words.dropFirst())
    switch verb {
    case "press":
      guard !rest.isEmpty else { throw CounterCommandError("press needs keys, e.g. press purchase 1 1250 ok") }
      var keys: [CounterKey] = []
      for word in rest { keys += try Self.keys(word) }
      return .keys(keys)
    case "scan", "tap":
      guard rest.count == 1, rest[0].count <= 64 else {
        throw CounterCommandError("\(verb) needs one code of at most 64 characters")
      }
      return verb == "scan" ? .scan(rest[0]) : .tap(rest[0])
    case "wait":
      guard rest.count == 1, let seconds = Int64(rest[0]), (0...86_400).contains(seconds) else {
        throw CounterCommandError("wait needs a number of seconds, 0-86400, e.g. wait 60")
      }
      return .wait(seconds)
    case "remove", "quit":
      guard rest.isEmpty else { throw CounterCommandError("\(verb) takes nothing after it") }
      return verb == "remove" ? .remove : .quit
    default:
      throw CounterCommandError("unknown command \"\(verb)\" (press, scan, tap, remove, wait, quit)")
    }
  }

  /// A key name, or a number typed digit by digit.
  public static func keys(_ word: String) throws(CounterCommandError) -> [CounterKey] {
    switch word.lowercased() {
    case "ok", "enter": return [.ok]
    case "cancel", "esc", "c": return [.cancel]
    case "clear", "del", "backspace": return [.clear]
    case "purchase", "p": return [.purchase]
    case "redeem", "r": return [.redeem]
    case "refund", "f": return [.refund]
    case "block", "b": return [.block]
    default:
      guard !word.isEmpty, word.count <= 12, word.allSatisfy({ $0.isASCII && $0.isNumber }) else {
        throw CounterCommandError(
          "unknown key \"\(word)\" (digits, ok, cancel, clear, purchase, redeem, refund, block)")
      }
      return word.map { .digit(Int(String($0))!) }
    }
  }
}

public struct CounterCommandError: Error, CustomStringConvertible, Sendable {
  public var description: String
  public init(_ description: String) { self.description = description }
}

/// An instant in UTC with whole-second precision, written `YYYY-MM-DDTHH:MM:SSZ`.
///
/// Parsed by hand and strictly: a terminal, HQ and an auditor must all read the same instant.
public struct UTCInstant: Hashable, Comparable, Sendable, CustomStringConvertible {
  /// Seconds since 1970-01-01T00:00:00Z.
  public let seconds: Int64

  public init(seconds: Int64) { self.seconds = seconds }

  /// Parses `YYYY-MM-DDTHH:MM:SSZ` (years 1970–9999); `nil` for anything else.
  public init?(parsing text: String) {
    var text = text
    guard let parsed = text.withUTF8({ UTCInstant(parsingUTF8: $0) }) else { return nil }
    self = parsed
  }

  /// `init(parsing:)` over the text's UTF-8 bytes.
  public init?(parsingUTF8 b: UnsafeBufferPointer<UInt8>) {
    guard b.count == 20, b[4] == 0x2D, b[7] == 0x2D, b[10] == 0x54, b[13] == 0x3A, b[16] == 0x3A, b[19] == 0x5A
    else { return nil }
    func number(_ range: Range<Int>) -> Int64? {
      var v: Int64 = 0
      for i in range {
        guard (0x30...0x39).contains(b[i]) else { return nil }
        v = v * 10 + Int64(b[i] - 0x30)
      }
      return v
    }
    guard let y = number(0..<4), let mo = number(5..<7), let d = number(8..<10), let h = number(11..<13),
      let mi = number(14..<16), let s = number(17..<19), y >= 1970, (1...12).contains(mo), h < 24, mi < 60, s < 60,
      (1...Self.daysInMonth(year: y, month: mo)).contains(d)
    else { return nil }
    seconds = Self.daysFromCivil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + s
  }

  public static func < (a: UTCInstant, b: UTCInstant) -> Bool { a.seconds < b.seconds }

  /// The UTC day number (days since 1970-01-01), rounded down.
  public var day: Int64 { seconds >= 0 ? seconds / 86_400 : -((-(seconds + 1)) / 86_400) - 1 }

  /// Saturating: a hostile time (a ledger line, a request) at the edge of Int64 never traps.
  public func adding(seconds delta: Int64) -> UTCInstant {
    let (sum, overflow) = seconds.addingReportingOverflow(delta)
    return UTCInstant(seconds: overflow ? (delta > 0 ? .max : .min) : sum)
  }

  public func adding(days: Int) -> UTCInstant {
    let (delta, overflow) = Int64(days).multipliedReportingOverflow(by: 86_400)
    return overflow ? UTCInstant(seconds: days > 0 ? .max : .min) : adding(seconds: delta)
  }

  /// Its UTC date, `2026-11-02` (the day of books, findings and exports).
  public var date: String { String(description.prefix(10)) }

  /// Years 0001–9999 as ISO 8601 (`2026-11-02T09:15:00Z`); anything else as raw seconds.
  public var description: String {
    guard (-62_135_596_800...253_402_300_799).contains(seconds) else { return "\(seconds) s since 1970" }
    let (y, m, d) = Self.civil(fromDays: day)
    let rest = seconds - day * 86_400
    func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
    return "\(y)-\(two(m))-\(two(d))T\(two(rest / 3600)):\(two(rest / 60 % 60)):\(two(rest % 60))Z"
  }

  static func isLeap(_ y: Int64) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }

  static func daysInMonth(year: Int64, month: Int64) -> Int64 {
    switch month {
    case 2: return isLeap(year) ? 29 : 28
    case 4, 6, 9, 11: return 30
    default: return 31
    }
  }

  /// Howard Hinnant's days_from_civil.
  static func daysFromCivil(_ y0: Int64, _ m: Int64, _ d: Int64) -> Int64 {
    let y = m <= 2 ? y0 - 1 : y0
    let era = (y >= 0 ? y : y - 399) / 400
    let yoe = y - era * 400
    let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
    return era * 146_097 + doe - 719_468
  }

  /// Howard Hinnant's civil_from_days.
  static func civil(fromDays z0: Int64) -> (Int64, Int64, Int64) {
    let z = z0 + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let doe = z - era * 146_097
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let d = doy - (153 * mp + 2) / 5 + 1
    let m = mp + (mp < 10 ? 3 : -9)
    return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
  }
}

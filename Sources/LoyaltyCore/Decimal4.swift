/// A non-negative decimal with at most 4 fraction digits, held exactly as value × 10⁴.
///
/// Program rates and multipliers are written as strings ("0.5", "1.25") and parsed here, so no
/// binary floating point ever touches a points figure.
public struct Decimal4: Hashable, Comparable, Sendable, CustomStringConvertible {
  /// value × 10⁴.
  public let scaled: Int64
  public static let scale: Int64 = 10_000
  /// The largest value a program may use (10⁹), which keeps every product inside Int128.
  public static let maxValue: Int64 = 1_000_000_000

  public static let one = Decimal4(scaled: scale)
  public static let zero = Decimal4(scaled: 0)

  public init(scaled: Int64) { self.scaled = scaled }

  /// Parses `digits[.digits]` with 1–4 fraction digits; nothing else (no sign, exponent, spaces).
  public init?(parsing text: String) {
    let parts = text.split(separator: ".", omittingEmptySubsequences: false)
    guard parts.count == 1 || parts.count == 2 else { return nil }
    let whole = parts[0]
    guard !whole.isEmpty, whole.count <= 10, whole.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
    var fraction = parts.count == 2 ? parts[1] : ""
    if parts.count == 2 {
      guard (1...4).contains(fraction.count), fraction.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
    }
    while fraction.count < 4 { fraction += "0" }
    guard let w = Int64(whole), let f = Int64(fraction), w <= Self.maxValue else { return nil }
    let value = w * Self.scale + f
    guard value <= Self.maxValue * Self.scale else { return nil }
    scaled = value
  }

  public static func < (a: Decimal4, b: Decimal4) -> Bool { a.scaled < b.scaled }

  public var description: String {
    let whole = scaled / Self.scale
    var fraction = String(scaled % Self.scale)
    fraction = String(repeating: "0", count: 4 - fraction.count) + fraction
    while fraction.last == "0" { fraction.removeLast() }
    return fraction.isEmpty ? "\(whole)" : "\(whole).\(fraction)"
  }
}

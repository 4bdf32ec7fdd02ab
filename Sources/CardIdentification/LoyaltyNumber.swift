import CardReader

/// Validation of loyalty numbers: 16 ASCII digits whose last digit is a Luhn check digit.
public enum LoyaltyNumber {
  /// Number of digits in a loyalty number.
  public static let length = 16

  /// Whether `digits` (all 0-9) passes the Luhn check.
  public static func luhnValid(_ digits: [UInt8]) -> Bool {
    var sum = 0
    for (i, d) in digits.reversed().enumerated() {
      var v = Int(d)
      if i % 2 == 1 {
        v *= 2
        if v > 9 { v -= 9 }
      }
      sum += v
    }
    return sum % 10 == 0
  }

  /// The Luhn check digit to append to `payload` (digits 0-9).
  public static func checkDigit(for payload: [UInt8]) -> UInt8 {
    for d in UInt8(0)...9 where luhnValid(payload + [d]) { return d }
    return 0
  }

  /// Checks raw bytes read from a card and returns the number as a string.
  public static func validate(_ bytes: [UInt8], source: String) throws(CardIdentificationError)
    -> String
  {
    let shown = printable(bytes)
    guard bytes.allSatisfy({ (0x30...0x39).contains($0) }), !bytes.isEmpty else {
      throw CardIdentificationError(
        .nonDigitNumber, "\(source) holds \"\(shown)\", which is not all digits")
    }
    guard bytes.count == length else {
      throw CardIdentificationError(
        .wrongNumberLength, "\(source) holds \(bytes.count) digits, expected \(length)")
    }
    guard luhnValid(bytes.map { $0 - 0x30 }) else {
      throw CardIdentificationError(
        .luhnCheckFailed, "\(source) holds \(shown), which fails the Luhn check")
    }
    return String(decoding: bytes, as: UTF8.self)
  }

  /// A safe rendering of hostile bytes for messages: printable ASCII, others as `\xNN`, cut at 40.
  static func printable(_ bytes: [UInt8]) -> String {
    var out = ""
    for b in bytes.prefix(40) {
      if (0x20...0x7E).contains(b) && b != 0x22 && b != 0x5C {
        out.append(Character(Unicode.Scalar(b)))
      } else {
        out += "\\x" + Hex.encode([b])
      }
    }
    if bytes.count > 40 { out += "…" }
    return out
  }
}

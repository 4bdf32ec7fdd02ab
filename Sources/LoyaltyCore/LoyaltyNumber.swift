/// Loyalty numbers: 16 ASCII digits whose last digit is a Luhn check digit.
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
}

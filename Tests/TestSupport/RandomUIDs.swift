import LoyaltyCore

/// Random chip UIDs for property tests: 4, 7 or 10 bytes, a third of them made only of the
/// digits 0-9 when written in hex (the UIDs a string parser would take for a number), never a
/// random-per-tap 4-byte UID (first byte 08).
public enum RandomUIDs {
  public static func make(count: Int, seed: UInt64) -> [[UInt8]] {
    var rng = SeededGenerator(seed: seed)
    return (0..<count).map { i in
      let length = [4, 7, 10][Int(rng.next() % 3)]
      let digitsOnly = i % 3 == 0
      var uid: [UInt8] = (0..<length).map { _ in
        digitsOnly ? UInt8(rng.next() % 10) << 4 | UInt8(rng.next() % 10) : UInt8(truncatingIfNeeded: rng.next())
      }
      if length == 4 && uid[0] == 0x08 { uid[0] = 0x04 }
      return uid
    }
  }

  /// Whether a UID's hex text is digits only.
  public static func isDigitsOnly(_ uid: [UInt8]) -> Bool { uid.allSatisfy { $0 >> 4 < 10 && $0 & 0x0F < 10 } }
}

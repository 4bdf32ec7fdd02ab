import CardReader
import HexCoding
import LoyaltyCore

/// Reading a loyalty number from a card's bytes (the number's rules are the core's).
extension LoyaltyNumber {
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

  /// Checks raw bytes read from a card and returns the loyalty number, typed.
  public static func card(_ bytes: [UInt8], source: String) throws(CardIdentificationError) -> CardID {
    let text = try validate(bytes, source: source)
    do { return try CardID(loyaltyNumber: text) } catch {
      throw CardIdentificationError(.luhnCheckFailed, error.message)
    }
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

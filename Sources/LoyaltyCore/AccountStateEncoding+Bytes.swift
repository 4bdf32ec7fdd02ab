extension AccountStateEncoding {
  /// Appends the encoding's parts.
  struct Writer {
    var bytes: [UInt8] = []

    mutating func varint(_ value: UInt64) {
      var v = value
      while v >= 0x80 {
        bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
        v >>= 7
      }
      bytes.append(UInt8(v))
    }

    mutating func zigzag(_ value: Int64) { varint(UInt64(bitPattern: (value << 1) ^ (value >> 63))) }

    mutating func text(_ value: String) {
      var value = value
      value.withUTF8 { utf8 in
        varint(UInt64(utf8.count))
        bytes.append(contentsOf: utf8)
      }
    }

    mutating func texts(_ values: [String]) {
      varint(UInt64(values.count))
      for v in values { text(v) }
    }

    mutating func optional(_ value: Int64?, signed: Bool = true) {
      guard let value else { return bytes.append(0) }
      bytes.append(1)
      if signed { zigzag(value) } else { varint(UInt64(max(0, value))) }
    }

    mutating func optionalText(_ value: String?) {
      guard let value else { return bytes.append(0) }
      bytes.append(1)
      text(value)
    }
  }

  /// Reads the encoding's parts, refusing anything but the canonical form.
  struct Reader {
    let bytes: [UInt8]
    var index = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var atEnd: Bool { index == bytes.count }
    var remaining: Int { bytes.count - index }

    func fail(_ what: String) -> RuleError {
      RuleError(.invalidAmount, "an account state is not canonical at byte \(index): \(what)")
    }

    mutating func byte() throws(RuleError) -> UInt8 {
      guard index < bytes.count else { throw fail("it ends early") }
      defer { index += 1 }
      return bytes[index]
    }

    mutating func flag() throws(RuleError) -> Bool {
      switch try byte() {
      case 0: return false
      case 1: return true
      default: throw fail("a flag is neither 0 nor 1")
      }
    }

    /// A minimal LEB128 varint of at most 64 bits.
    mutating func varint() throws(RuleError) -> UInt64 {
      var value: UInt64 = 0
      var shift: UInt64 = 0
      while true {
        let b = try byte()
        guard shift < 64, shift != 63 || b <= 1 else { throw fail("a number longer than 64 bits") }
        value |= UInt64(b & 0x7F) << shift
        if b & 0x80 == 0 {
          guard b != 0 || shift == 0 else { throw fail("a number not in its shortest form") }
          return value
        }
        shift += 7
      }
    }

    mutating func zigzag() throws(RuleError) -> Int64 {
      let v = try varint()
      return Int64(bitPattern: v >> 1) ^ -Int64(bitPattern: v & 1)
    }

    mutating func int64() throws(RuleError) -> Int64 {
      guard let v = Int64(exactly: try varint()) else { throw fail("a number beyond 2^63") }
      return v
    }

    mutating func count() throws(RuleError) -> Int {
      let n = try varint()
      guard n <= UInt64(AccountStateEncoding.maxItems), n <= UInt64(remaining) else {
        throw fail("a list of \(n) items")
      }
      return Int(n)
    }

    mutating func text() throws(RuleError) -> String {
      let n = try varint()
      guard n <= UInt64(AccountStateEncoding.maxText), n <= UInt64(remaining) else {
        throw fail("a text of \(n) bytes")
      }
      let slice = bytes[index..<index + Int(n)]
      index += Int(n)
      guard let s = String(validating: slice, as: UTF8.self) else { throw fail("text that is not UTF-8") }
      return s
    }

    mutating func sortedTexts() throws(RuleError) -> [String] {
      var values: [String] = []
      for _ in 0..<(try count()) {
        let v = try text()
        guard values.last.map({ $0 < v }) ?? true else { throw fail("a set not sorted or with a repeat") }
        values.append(v)
      }
      return values
    }

    mutating func optional(signed: Bool = true) throws(RuleError) -> Int64? {
      guard try flag() else { return nil }
      return signed ? try zigzag() : try int64()
    }

    mutating func optionalText() throws(RuleError) -> String? {
      try flag() ? try text() : nil
    }
  }
}

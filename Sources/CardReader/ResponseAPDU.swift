import HexCoding

/// A response APDU: response data followed by a status word.
public struct ResponseAPDU: Hashable, Sendable, CustomStringConvertible {
  public var data: [UInt8]
  public var statusWord: StatusWord

  public init(data: [UInt8] = [], statusWord: StatusWord) {
    self.data = data
    self.statusWord = statusWord
  }

  /// Parses raw response bytes; they must hold at least SW1 SW2.
  public init<C: Collection>(bytes: C) throws(CardReaderError) where C.Element == UInt8 {
    guard bytes.count >= 2 else {
      throw CardReaderError(
        .malformedResponse, "response of \(bytes.count) byte(s) has no status word")
    }
    let all = Array(bytes)
    data = Array(all[..<(all.count - 2)])
    statusWord = StatusWord(sw1: all[all.count - 2], sw2: all[all.count - 1])
  }

  /// Data followed by SW1 SW2.
  public var bytes: [UInt8] { data + [statusWord.sw1, statusWord.sw2] }

  public var description: String { Hex.encode(bytes) }
}

import CardReader

/// A card whose ATR and answers come from fuzz input: the first byte is the ATR's length, then
/// the ATR; then each answer is a length byte followed by that many bytes. When the input runs
/// out, the card is gone.
final class ScriptedCardSession: CardSession, @unchecked Sendable {
  let reader = "fuzz"
  let atr: [UInt8]
  var rest: ArraySlice<UInt8>

  init(script: [UInt8]) {
    var bytes = script[...]
    let count = Int(bytes.popFirst() ?? 0)
    atr = Array(bytes.prefix(count))
    rest = bytes.dropFirst(count)
  }

  func transmitRaw(_ command: [UInt8]) async throws(CardReaderError) -> [UInt8] {
    guard let count = rest.popFirst() else { throw CardReaderError(.cardRemoved, "the fuzz input ran out") }
    let answer = Array(rest.prefix(Int(count)))
    rest = rest.dropFirst(Int(count))
    return answer
  }

  func disconnect() async {}
}

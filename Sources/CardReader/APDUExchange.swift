import HexCoding

/// The transport rules of ISO 7816-4 applied on top of a raw exchange: 61xx, 6Cxx and sanity
/// checks on what comes back. Shared by every `CardSession`.
public enum APDUExchange {
  /// At most this many GET RESPONSE rounds for one command (a card that answers 61xx forever
  /// must not hold the terminal).
  public static let maxGetResponseRounds = 64
  /// Upper bound on the assembled response data.
  public static let maxResponseData = 65_536

  /// Runs `command` through `raw`, following 61xx and 6Cxx.
  public static func run(
    _ command: CommandAPDU,
    raw: (_ bytes: [UInt8]) async throws(CardReaderError) -> [UInt8]
  ) async throws(CardReaderError) -> ResponseAPDU {
    var response = try check(try await raw(command.bytes), for: command)
    if response.statusWord.isWrongLe {
      let le = Int(response.statusWord.sw2)
      let retry = try command.with(ne: le == 0 ? 256 : le)
      response = try check(try await raw(retry.bytes), for: retry)
      if response.statusWord.isWrongLe {
        throw CardReaderError(
          .malformedResponse, "card answered 6Cxx twice for \(Hex.encode(command.bytes.prefix(4)))")
      }
    }
    guard response.statusWord.isMoreDataAvailable else { return response }

    var data = response.data
    var rounds = 0
    while response.statusWord.isMoreDataAvailable {
      rounds += 1
      guard rounds <= maxGetResponseRounds else {
        throw CardReaderError(
          .malformedResponse, "card kept answering 61xx after \(maxGetResponseRounds) GET RESPONSE")
      }
      let get = CommandAPDU.getResponse(cla: command.cla & 0x03, length: Int(response.statusWord.sw2))
      response = try check(try await raw(get.bytes), for: get)
      data += response.data
      guard data.count <= maxResponseData else {
        throw CardReaderError(
          .malformedResponse, "chained response exceeds \(maxResponseData) bytes")
      }
    }
    return ResponseAPDU(data: data, statusWord: response.statusWord)
  }

  /// Parses a raw answer and rejects one longer than the command allowed.
  static func check(_ bytes: [UInt8], for command: CommandAPDU) throws(CardReaderError)
    -> ResponseAPDU
  {
    let response = try ResponseAPDU(bytes: bytes)
    // No Le: tolerate what a short response can carry (some T=1 cards answer SELECT with FCI).
    let allowed = command.ne ?? 256
    if response.data.count > allowed {
      throw CardReaderError(
        .malformedResponse,
        "card returned \(response.data.count) data bytes for \(Hex.encode(command.bytes.prefix(4))) "
          + "which allows \(allowed)")
    }
    return response
  }
}

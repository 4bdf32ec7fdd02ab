import CardReader
import HexCoding
import LoyaltyCore

/// The loyalty applet's signing commands (`CardProof`; hardware/loyalty-applet.md): its public
/// key by GET DATA 7F49, and its signature over a counter's challenge by INTERNAL AUTHENTICATE.
public enum LoyaltyAppletSigning {
  /// GET DATA, tag 7F49 (a public key): 65 bytes, the uncompressed P-256 point.
  static let getPublicKey = try! CommandAPDU(cla: 0x00, ins: 0xCA, p1: 0x7F, p2: 0x49, ne: 256)

  /// INTERNAL AUTHENTICATE of a 32-byte challenge: 64 bytes, the ECDSA signature's r‖s.
  static func internalAuthenticate(_ challenge: [UInt8]) -> CommandAPDU {
    try! CommandAPDU(cla: 0x00, ins: 0x88, p1: 0x00, p2: 0x00, data: challenge, ne: 256)
  }

  /// The selected applet's public key, or nil when the card cannot sign (6A88, 6D00 or another
  /// refusal). A key of the wrong shape is an error: the card is not what it says.
  static func publicKey(_ session: any CardSession) async throws(CardIdentificationError) -> [UInt8]? {
    let response: ResponseAPDU
    do { response = try await session.transmit(getPublicKey) } catch { throw CardIdentificationError(error) }
    guard response.statusWord.isSuccess else { return nil }
    guard response.data.count == 65, response.data[0] == 0x04 else {
      throw CardIdentificationError(
        .appletError, "loyalty applet's public key is \(response.data.count) bytes, not a 65-byte P-256 point")
    }
    return response.data
  }

  /// Has the card in `session` sign `challenge`: selects the applet, checks the card is `card`,
  /// and returns the signature (64 bytes). Throws, naming why, when it is another card or refuses.
  public static func sign(_ challenge: [UInt8], by card: CardID, in session: any CardSession)
    async throws(CardIdentificationError) -> [UInt8]
  {
    func send(_ command: CommandAPDU) async throws(CardIdentificationError) -> ResponseAPDU {
      do { return try await session.transmit(command) } catch { throw CardIdentificationError(error) }
    }
    let select = try await send(.selectApplication(CardIdentifier.loyaltyAID))
    guard select.statusWord.isSuccess else {
      throw CardIdentificationError(.appletError, "no loyalty applet on the reader (SELECT \(select.statusWord))")
    }
    let read = try await send(try! .readBinary(offset: 0, length: 256))
    guard read.statusWord.isSuccess, (try? LoyaltyNumber.card(read.data, source: "loyalty applet")) == card else {
      throw CardIdentificationError(.appletError, "the card on the reader is not \(card.masked)")
    }
    let signed = try await send(internalAuthenticate(challenge))
    guard signed.statusWord.isSuccess else {
      throw CardIdentificationError(
        .appletError, "the card refused to sign (INTERNAL AUTHENTICATE \(signed.statusWord))")
    }
    guard signed.data.count == 64 else {
      throw CardIdentificationError(.appletError, "the card's signature is \(signed.data.count) bytes, not 64")
    }
    return signed.data
  }
}

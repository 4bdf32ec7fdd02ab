import CardReader
import HexCoding
import LoyaltyCore

/// Reads a card's loyalty ID: the loyalty applet, then an NDEF record, then the UID.
public struct CardIdentifier: Sendable {
  /// The loyalty application's AID.
  public static let loyaltyAID: [UInt8] = [0xF0, 0x4C, 0x4F, 0x59, 0x41, 0x4C, 0x54, 0x59, 0x01]
  /// The NFC Forum Type 4 NDEF application's AID.
  public static let ndefAID: [UInt8] = [0xD2, 0x76, 0x00, 0x00, 0x85, 0x01, 0x01]
  /// Largest NDEF message read from a tag.
  public static let maxNDEFLength = 8_192

  public let profiles: CardProfiles

  public init(profiles: CardProfiles) { self.profiles = profiles }

  /// The card type for `atr` (profile name) or "unknown".
  public func cardType(for atr: [UInt8]) -> String {
    profiles.match(atr)?.cardType ?? "unknown"
  }

  /// Identifies the card of `session`. Any failure names what was wrong; nothing is written.
  public func identify(_ session: any CardSession) async throws(CardIdentificationError) -> CardIdentity {
    let atrBytes = session.atr
    do { _ = try ATR(atrBytes) } catch {
      throw CardIdentificationError(.malformedATR, "\(error) (\(Hex.encode(atrBytes)))")
    }
    let profile = profiles.match(atrBytes)
    let methods = profile?.methods ?? IdentificationMethod.allCases
    var absent: [String] = []
    var publicKey: [UInt8]?
    for method in IdentificationMethod.allCases where methods.contains(method) {
      let found: CardID?
      switch method {
      case .applet:
        found = try await readApplet(session, absent: &absent)
        if found != nil { publicKey = try await LoyaltyAppletSigning.publicKey(session) }
      case .ndef: found = try await readNDEF(session, absent: &absent)
      case .uid: found = try await readUID(session, absent: &absent)
      }
      if let found {
        return CardIdentity(
          card: found, source: method, cardType: profile?.cardType ?? "unknown", atr: Hex.encode(atrBytes),
          publicKey: publicKey)
      }
    }
    throw CardIdentificationError(
      .noLoyaltyIdentity, "card offers no loyalty identity: " + absent.joined(separator: "; "))
  }

  func send(_ session: any CardSession, _ command: CommandAPDU) async throws(CardIdentificationError)
    -> ResponseAPDU
  {
    do { return try await session.transmit(command) } catch { throw CardIdentificationError(error) }
  }

  func readApplet(_ s: any CardSession, absent: inout [String]) async throws(CardIdentificationError) -> CardID? {
    let select = try await send(s, .selectApplication(Self.loyaltyAID))
    guard select.statusWord.isSuccess else {
      absent.append("no loyalty applet (SELECT \(select.statusWord))")
      return nil
    }
    let read = try await send(s, try! .readBinary(offset: 0, length: 256))
    guard read.statusWord.isSuccess else {
      throw CardIdentificationError(.appletError, "loyalty applet refused READ BINARY: \(read.statusWord)")
    }
    return try LoyaltyNumber.card(read.data, source: "loyalty applet")
  }

  func readNDEF(_ s: any CardSession, absent: inout [String]) async throws(CardIdentificationError) -> CardID? {
    let select = try await send(s, .selectApplication(Self.ndefAID))
    guard select.statusWord.isSuccess else {
      absent.append("no NDEF application (SELECT \(select.statusWord))")
      return nil
    }
    func malformed(_ m: String) -> CardIdentificationError { CardIdentificationError(.malformedNDEF, m) }
    let ccSelect = try await send(s, .selectFile(0xE103))
    guard ccSelect.statusWord.isSuccess else {
      throw malformed("NDEF tag has no capability container (\(ccSelect.statusWord))")
    }
    let ccRead = try await send(s, try! .readBinary(offset: 0, length: 15))
    guard ccRead.statusWord.isSuccess else {
      throw malformed("cannot read the capability container (\(ccRead.statusWord))")
    }
    let cc = try CapabilityContainer(ccRead.data)
    guard cc.readAccess == 0x00 else { throw malformed("NDEF file is not readable (access \(cc.readAccess))") }
    let fileSelect = try await send(s, .selectFile(cc.ndefFileID))
    guard fileSelect.statusWord.isSuccess else {
      throw malformed("cannot select the NDEF file (\(fileSelect.statusWord))")
    }
    let nlenRead = try await send(s, try! .readBinary(offset: 0, length: 2))
    guard nlenRead.statusWord.isSuccess, nlenRead.data.count == 2 else {
      throw malformed("cannot read NLEN (\(nlenRead.statusWord), \(nlenRead.data.count) bytes)")
    }
    let nlen = Int(nlenRead.data[0]) << 8 | Int(nlenRead.data[1])
    if nlen == 0 {
      absent.append("NDEF tag is empty")
      return nil
    }
    guard nlen <= cc.ndefFileMaxSize - 2, nlen <= Self.maxNDEFLength else {
      throw malformed("NLEN \(nlen) exceeds the NDEF file size \(cc.ndefFileMaxSize - 2)")
    }
    var message: [UInt8] = []
    let chunk = min(cc.maxReadLength, 255)
    while message.count < nlen {
      let want = min(chunk, nlen - message.count)
      let read = try await send(s, try! .readBinary(offset: UInt16(2 + message.count), length: want))
      guard read.statusWord.isSuccess, !read.data.isEmpty else {
        throw malformed("NDEF read at \(2 + message.count) failed (\(read.statusWord))")
      }
      message += read.data.prefix(nlen - message.count)
    }
    let parsed = try NDEFMessage(message)
    for record in parsed.records {
      if let text = try NDEFMessage.text(of: record) {
        return try LoyaltyNumber.card(text, source: "NDEF Text record")
      }
      if let uri = try NDEFMessage.uri(of: record) {
        guard let segment = NDEFMessage.lastPathSegment(of: uri) else {
          throw CardIdentificationError(
            .nonDigitNumber, "NDEF URI \"\(LoyaltyNumber.printable(uri))\" has no last path segment")
        }
        return try LoyaltyNumber.card(segment, source: "NDEF URI record")
      }
    }
    absent.append("NDEF message has no Text or URI record")
    return nil
  }

  func readUID(_ s: any CardSession, absent: inout [String]) async throws(CardIdentificationError) -> CardID? {
    let response = try await send(s, .getUID)
    guard response.statusWord.isSuccess else {
      absent.append("no UID (GET DATA \(response.statusWord))")
      return nil
    }
    let uid = response.data
    guard [4, 7, 10].contains(uid.count) else {
      throw CardIdentificationError(.invalidUID, "UID of \(uid.count) bytes (\(Hex.encode(uid))); expected 4, 7 or 10")
    }
    if uid.count == 4 && uid[0] == 0x08 {
      throw CardIdentificationError(
        .randomUID, "UID \(Hex.encode(uid)) is random per tap (4 bytes starting 08), not an identity")
    }
    do { return try CardID(uid: uid) } catch { throw CardIdentificationError(.invalidUID, error.message) }
  }
}

import CardEmulation
import CardIdentification
import CardReader
import HexCoding
import LoyaltyCore
import SimulatedCardReader
import Testing

/// A card that knows no application and has no UID to give.
struct BlankCard: EmulatedCard {
  var atr: [UInt8] = ATR.contactless(historicalBytes: [0x80, 0x73])
  mutating func reset() {}
  mutating func respond(to command: [UInt8]) -> [UInt8] { command.first == 0xFF ? [0x6A, 0x81] : [0x6A, 0x82] }
}

/// Answers every command through T=0-style 61xx chaining, wrapping another card.
struct ChainingCard<Inner: EmulatedCard>: EmulatedCard {
  var inner: Inner
  var pending: [UInt8] = []
  var atr: [UInt8] { inner.atr }
  mutating func reset() {
    inner.reset()
    pending = []
  }
  mutating func respond(to command: [UInt8]) -> [UInt8] {
    if command.count >= 2, command[1] == 0xC0 {
      let n = command.count > 4 ? (command[4] == 0 ? 256 : Int(command[4])) : 256
      let out = Array(pending.prefix(n))
      pending.removeFirst(out.count)
      return out + (pending.isEmpty ? [0x90, 0x00] : [0x61, UInt8(min(pending.count, 255))])
    }
    let answer = inner.respond(to: command)
    let data = Array(answer.dropLast(2))
    guard answer.suffix(2) == [0x90, 0x00], !data.isEmpty else { return answer }
    pending = data
    return [0x61, UInt8(min(data.count, 255))]
  }
}

@Suite("Card identification on the simulated reader")
struct CardIdentifierTests {
  let reader = "Sim 0"
  let identifier = CardIdentifier(profiles: CardProfiles.builtIn())

  func identify(_ card: any EmulatedCard, faults: [SimulatedFault] = []) async throws(CardIdentificationError)
    -> CardIdentity
  {
    let system = SimulatedCardReaderSystem(readers: [reader])
    system.insert(card, into: reader, faults: faults)
    let session: any CardSession
    do { session = try await system.connect(reader: reader) } catch { fatalError("\(error)") }
    return try await identifier.identify(session)
  }

  @Test func appletCard() async throws {
    let id = try await identify(LoyaltyAppletCard(number: "6280001234567895"))
    #expect(
      id
        == CardIdentity(
          card: try CardID("6280001234567895"), source: .applet, cardType: "loyalty-applet",
          atr: "3B8780014C4F59414C54595C",
          publicKey: Array(LoyaltyAppletCard.emulatedKey(for: "6280001234567895").publicKey.x963Representation)))
    // An applet that cannot sign is read as before, without a key.
    let plain = try await identify(LoyaltyAppletCard(number: "6280001234567895", signs: false))
    #expect(plain.id == "6280001234567895" && plain.publicKey == nil)
  }

  @Test func ndefTextAndURICards() async throws {
    let text = try await identify(NDEFTagCard.text("4000001234567899"))
    #expect(text.id == "4000001234567899" && text.source == .ndef && text.cardType == "nfc-type4-tag")
    let uri = try await identify(NDEFTagCard.uri("https://loyalty.example/card/5555444433332226"))
    #expect(uri.id == "5555444433332226" && uri.source == .ndef)
  }

  @Test func ndefReadInSmallChunks() async throws {
    let tag = NDEFTagCard(
      message: NDEFEncoder.uriRecord("https://loyalty.example/card/5555444433332226"), maxReadLength: 5)
    #expect(try await identify(tag).id == "5555444433332226")
  }

  @Test(arguments: [[0x04, 0xA1, 0xB2, 0xC3], [0x04, 0xA1, 0xB2, 0xC3, 0xD4, 0xE5, 0xF6]] as [[UInt8]])
  func uidCards(_ uid: [UInt8]) async throws {
    let id = try await identify(UIDCard(uid: uid))
    #expect(id.id == Hex.encode(uid) && id.source == .uid && id.cardType == "mifare-classic-1k")
  }

  @Test func appletWinsOverTheUID() async throws {
    // A 14443-4 card whose profile is unknown gets every method; the applet comes first.
    struct Both: EmulatedCard {
      var applet = LoyaltyAppletCard(number: "6280001234567895", uid: [0x04, 1, 2, 3, 4, 5, 6])
      var atr: [UInt8] { ATR.contactless(historicalBytes: [0x80, 0x73]) }
      mutating func reset() { applet.reset() }
      mutating func respond(to c: [UInt8]) -> [UInt8] { applet.respond(to: c) }
    }
    let id = try await identify(Both())
    #expect(id.source == .applet && id.cardType == "iso14443-4")
  }

  @Test func getResponseChainingIsFollowed() async throws {
    let id = try await identify(ChainingCard(inner: NDEFTagCard.text("4000001234567899")))
    #expect(id.id == "4000001234567899")
  }

  @Test(arguments: [
    (LoyaltyAppletCard(number: "6280001234567890") as any EmulatedCard, CardIdentificationError.Reason.luhnCheckFailed),
    (LoyaltyAppletCard(number: "62800012345678X5"), .nonDigitNumber),
    (LoyaltyAppletCard(stored: [0x36, 0x00, 0xFF]), .nonDigitNumber),
    (LoyaltyAppletCard(number: "62800012345"), .wrongNumberLength),
    (NDEFTagCard.text("hello world"), .nonDigitNumber),
    (NDEFTagCard.uri("https://loyalty.example/c/"), .nonDigitNumber),
    (NDEFTagCard(message: [0xD1, 0x01, 0x09, 0x54]), .malformedNDEF),
    (UIDCard(uid: [0x08, 0x3C, 0x11, 0x9A]), .randomUID),
    (BlankCard(), .noLoyaltyIdentity),
  ])
  func refusals(_ card: any EmulatedCard, _ reason: CardIdentificationError.Reason) async {
    let error = await #expect(throws: CardIdentificationError.self) { try await identify(card) }
    #expect(error?.reason == reason, "\(error?.message ?? "")")
  }

  @Test func aBlankCardSaysWhatItLacks() async {
    let error = await #expect(throws: CardIdentificationError.self) { try await identify(BlankCard()) }
    #expect(
      error?.message
        == "card offers no loyalty identity: no loyalty applet (SELECT 6A82 (file or application not found)); no NDEF application (SELECT 6A82 (file or application not found)); no UID (GET DATA 6A81 (function not supported))"
    )
  }

  @Test func readerFaultsBecomeReaderErrors() async {
    for fault in [SimulatedFault.removedDuringCommand(1), .truncatedResponses(1), .oversizedResponses(300)] {
      let error = await #expect(throws: CardIdentificationError.self) {
        try await identify(LoyaltyAppletCard(number: "6280001234567895"), faults: [fault])
      }
      #expect(error?.reason == .readerError, "\(fault)")
      #expect(error?.readerError != nil)
    }
  }

  @Test func appletThatRefusesToReadIsAnAppletError() async {
    let error = await #expect(throws: CardIdentificationError.self) {
      try await identify(
        LoyaltyAppletCard(number: "6280001234567895"),
        faults: [.wrongStatusWord(.securityStatusNotSatisfied, ins: 0xB0)])
    }
    #expect(error?.reason == .appletError)
  }
}

@Suite("ATR profiles")
struct CardProfilesTests {
  @Test func theShippedTableNamesOurCards() throws {
    let profiles = CardProfiles.builtIn()
    #expect(profiles.match(ATR.storageCard(cardName: 0x0001))?.cardType == "mifare-classic-1k")
    #expect(profiles.match(ATR.storageCard(cardName: 0x0002))?.cardType == "mifare-classic-4k")
    #expect(profiles.match(ATR.storageCard(cardName: 0x00F0))?.cardType == "storage-card")
    #expect(profiles.match(Hex.decode("3B8180018080")!)?.cardType == "desfire")
    #expect(profiles.match(ATR.contactless(historicalBytes: [1, 2, 3]))?.cardType == "iso14443-4")
    #expect(profiles.match([0x3B, 0x02, 0x14, 0x50])?.cardType == "unknown")
  }

  @Test func refusesBadPatternsListingEveryProblem() {
    let error = #expect(throws: CardProfiles.LoadError.self) {
      try CardProfiles([
        CardProfile(name: "a", cardType: "a", atr: "3B G0", methods: [.uid]),
        CardProfile(name: "b", cardType: "b", atr: "3B 8", methods: [.uid]),
        CardProfile(name: "c", cardType: "c", atr: "3B", methods: []),
      ])
    }
    #expect(error?.problems.count == 3)
  }

  @Test func wildcardsMatchNibblesAndTails() throws {
    let profiles = try CardProfiles([
      CardProfile(name: "x", cardType: "x", atr: "3B 8. 80 01 *", methods: [.uid]),
      CardProfile(name: "y", cardType: "y", atr: "3B 02 .. 50", methods: [.uid]),
    ])
    #expect(profiles.match([0x3B, 0x85, 0x80, 0x01])?.cardType == "x")
    #expect(profiles.match([0x3B, 0x02, 0x99, 0x50])?.cardType == "y")
    #expect(profiles.match([0x3B, 0x02, 0x99, 0x51]) == nil)
    #expect(profiles.match([0x3B, 0x95, 0x80, 0x01]) == nil)
  }
}

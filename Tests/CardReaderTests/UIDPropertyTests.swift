import CardEmulation
import CardIdentification
import CardReader
import HexCoding
import LoyaltyCore
import SimulatedCardReader
import TestSupport
import Testing

/// Any UID a chip may give is read as a UID and stays one: through the simulated reader, into
/// the canonical text the cache and the ledger hold, and back (digits-only UIDs included).
@Suite("UIDs, whatever their digits")
struct UIDPropertyTests {
  @Test(arguments: [1, 2, 3] as [UInt64])
  func everyUIDIsReadAsAUIDAndRoundTrips(seed: UInt64) async throws {
    let identifier = CardIdentifier(profiles: CardProfiles.builtIn())
    let uids = RandomUIDs.make(count: 300, seed: seed)
    #expect(uids.contains(where: RandomUIDs.isDigitsOnly))
    for uid in uids {
      let system = SimulatedCardReaderSystem(readers: ["Sim 0"])
      system.insert(UIDCard(uid: uid), into: "Sim 0")
      let session = try await system.connect(reader: "Sim 0")
      let identity = try await identifier.identify(session)
      #expect(identity.source == .uid)
      #expect(identity.card == (try CardID(uid: uid)), "seed \(seed): \(Hex.encode(uid))")
      #expect(identity.card.kind == .uid)
      // What the cache and the ledger store parses back to the same typed card.
      #expect(try CardID(identity.card.text) == identity.card)
      #expect(throws: Never.self) { try Identities.validateCard(identity.card.text) }
    }
  }

  @Test func theTextFormsSayTheirKind() throws {
    #expect(try CardID("04673630627700").kind == .uid)
    #expect(try CardID("6280001234567895").kind == .loyaltyNumber)
    #expect(try CardID(parsing: "uid:04a1b2c3d4e5f6").text == "04A1B2C3D4E5F6")
    #expect(try CardID(parsing: "6280 0012 3456 7895").text == "6280001234567895")
    #expect(try CardID(parsing: "number:6280-0012-3456-7895").kind == .loyaltyNumber)
    #expect(throws: RuleError.self) { try CardID("0467363062770") }  // 13 characters: neither
    #expect(throws: RuleError.self) { try CardID("6280001234567890") }  // Luhn
    #expect(throws: RuleError.self) { try CardID(parsing: "uid:6280001234567895") }  // 8 bytes: no UID
  }
}

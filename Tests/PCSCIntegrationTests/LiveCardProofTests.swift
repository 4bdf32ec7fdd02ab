import CardEmulation
import CardIdentification
import CardReader
import CounterRuntime
import Crypto
import LoyaltyCore
import TestSupport
import Testing

/// A card that signs, over pcscd and vpcd: its key read at the tap, its signature made on the
/// reader by the counter's signer, through the live PC/SC binding.
extension LiveStack {
  @Suite("Card-present proof on the live stack")
  struct LiveCardProofTests {
    @Test func aVirtualAppletCardGivesItsKeyAndSignsTheCountersChallenge() async throws {
      let daemon = try await PCSCDaemon.start()
      defer { daemon.stop() }
      let system = Live.system()
      let taps = EventRecorder(TapWatcher(system: system, identifier: Live.identifier).events())
      defer { Task { await taps.stop() } }
      let number = "6280001234567895"
      let card = Live.card(LoyaltyAppletCard(number: number))
      try card.insert()
      defer { card.remove() }
      let event = try await taps.next("a tap", within: .seconds(10)) { if case .tap = $0 { true } else { false } }
      guard case .tap(let tap) = event else { fatalError() }
      let identity = try tap.outcome.get()
      let key = LoyaltyAppletCard.emulatedKey(for: number).publicKey
      #expect(identity.publicKey == Array(key.x963Representation), "the key, read by GET DATA 7F49")

      let signer = ReaderCardSigner(system: system)
      signer.tapped(tap)
      let entry = Entry(
        kind: .redeem, id: "redeem-T01-x", at: UTCInstant(parsing: "2026-11-02T09:00:00Z")!, terminal: "T01",
        account: Identities.accountID(enrolledWith: number), card: number, points: -150, data: "coffee", basis: 7)
      let nonce = (0..<16).map { UInt8($0 * 3) }
      let signature = try await signer.sign(CardProof.challenge(for: entry, nonce: nonce), by: identity.card)
      let proof = CardProof(nonce: nonce, signature: signature)
      let publicKey = try CardProof.publicKeyText(identity.publicKey ?? [])
      #expect(proof.verifies(entry, publicKey: publicKey), "signed on the reader by INTERNAL AUTHENTICATE")
      var other = entry
      other.points = -1000
      #expect(!proof.verifies(other, publicKey: publicKey), "and for that entry only")
      // Gone from the reader: the signer says so instead of signing.
      signer.removed()
      await #expect(throws: RuleError.self) {
        try await signer.sign([UInt8](repeating: 1, count: 32), by: identity.card)
      }
    }
  }
}

import CardIdentification
import LoyaltyCore

/// The card on the reader beyond its number: its public key and its signature over an entry
/// (`CardProof`). The firmware tells it of each tap and each card taken away; the storage asks
/// it for the key of a card it enrols and the signature of an entry that spends.
public protocol CardSigner: Sendable {
  /// A tap was read (or not). Synchronous: the firmware handles inputs in order, without waiting.
  func tapped(_ tap: TapResult)
  /// The card was taken off the reader.
  func removed()
  /// The public key (X9.63) the card on the reader gave, when that card is `card` and can sign.
  func publicKey(of card: CardID) async -> [UInt8]?
  /// Has `card`, still on the reader, sign `challenge`: its 64-byte signature. Throws a
  /// `RuleError` (`.cardProof`) saying what to do when the card is gone or refuses.
  func sign(_ challenge: [UInt8], by card: CardID) async throws -> [UInt8]
}

import CardEmulation
import Crypto
import LoyaltyCore

/// The keys of the simulation's emulated cards (`LoyaltyAppletCard.emulatedKey(for:)`), for the
/// operations the simulation performs on the cache directly, with the cardholder's cards in hand
/// (a link: the new card gives its key, the account's card signs). Loyalty numbers only: a UID
/// card cannot sign.
enum EmulatedCardKeys {
  /// The public key an emulated card of `card` gives, or nil when it is no loyalty number.
  static func publicKey(of card: String) -> String? {
    guard (try? CardID(parsing: card))?.kind == .loyaltyNumber else { return nil }
    return try? CardProof.publicKeyText(Array(LoyaltyAppletCard.emulatedKey(for: card).publicKey.x963Representation))
  }

  /// `card`'s signature over `entry`, on a nonce of the entry's own digest; nil when `card` is
  /// no loyalty number (a UID card cannot sign).
  static func sign(_ entry: Entry, by card: String) throws -> CardProof? {
    guard publicKey(of: card) != nil else { return nil }
    let nonce = Array(SHA256.hash(data: Array(entry.id.utf8)).prefix(CardProof.nonceLength))
    let key = LoyaltyAppletCard.emulatedKey(for: card)
    let signature = try key.signature(for: CardProof.challenge(for: entry, nonce: nonce))
    return CardProof(nonce: nonce, signature: Array(signature.rawRepresentation))
  }
}

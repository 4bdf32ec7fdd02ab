import CardIdentification
import CardReader
import CounterFirmware
import LoyaltyCore
import Synchronization

/// The counter's `CardSigner` on a card reader: it remembers the card of the last tap (its
/// number, its public key and its reader) until the card is taken away, and has it sign by
/// connecting to it again, still on the reader, when the storage asks.
public final class ReaderCardSigner: CardSigner {
  struct Presented {
    var reader: String
    var card: CardID
    var publicKey: [UInt8]?
  }

  let system: any CardReaderSystem
  private let presented = Mutex<Presented?>(nil)

  public init(system: any CardReaderSystem) { self.system = system }

  public func tapped(_ tap: TapResult) {
    presented.withLock { presented in
      if case .success(let identity) = tap.outcome {
        presented = Presented(reader: tap.reader, card: identity.card, publicKey: identity.publicKey)
      } else {
        presented = nil
      }
    }
  }

  public func removed() { presented.withLock { $0 = nil } }

  public func publicKey(of card: CardID) async -> [UInt8]? {
    presented.withLock { $0?.card == card ? $0?.publicKey : nil }
  }

  public func sign(_ challenge: [UInt8], by card: CardID) async throws -> [UInt8] {
    guard let on = presented.withLock({ $0 }), on.card == card else {
      throw RuleError(
        .cardProof, "card \(card.masked) is not on the reader: it must sign what it spends",
        screenLines: ["Card must sign:", "hold the card on the", "reader and confirm", "again."])
    }
    do {
      let session = try await system.connect(reader: on.reader)
      let signature = await session.withPreferredExecutor {
        () async -> Result<[UInt8], CardIdentificationError> in
        do throws(CardIdentificationError) {
          return .success(try await LoyaltyAppletSigning.sign(challenge, by: card, in: session))
        } catch {
          return .failure(error)
        }
      }
      await session.disconnect()
      return try signature.get()
    } catch {
      throw RuleError(
        .cardProof, "card \(card.masked) did not sign: \(error)",
        screenLines: ["Card did not sign:", "hold it still on the", "reader and confirm", "again."])
    }
  }
}

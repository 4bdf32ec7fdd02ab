import CounterFirmware
import HexCoding
import LoyaltyCore
import PointsCache

/// The counter's storage port on the SQLite points cache, through GRDB's async reader and
/// writer: the firmware's task is never blocked while SQLite waits for the disk.
public struct PointsCacheStorage: CounterStorage {
  public let cache: PointsCache
  /// The card on the reader: the key a card gives at its enrolment, the signature a redemption
  /// needs (`CardProof`). Nil: no card is ever asked (what spends then follows the program's
  /// policy for cards that cannot sign).
  public let signer: (any CardSigner)?

  public init(cache: PointsCache, signer: (any CardSigner)? = nil) {
    self.cache = cache
    self.signer = signer
  }

  public func program() async throws -> LoyaltyProgram { try await cache.asynchronous.program() }

  public func isStandAlone() async throws -> Bool { try await cache.asynchronous.isStandAlone() }

  public func identify(card: CardID, at: UTCInstant) async throws -> CardholderView {
    let view = try await cache.asynchronous.identify(card: card.text, at: at)
    // A card that signs is the card enrolled under its number only if its key is the one the
    // ledger recorded: another card of that number (a number claimed first with someone else's
    // key) earns nothing into the account and spends nothing from it.
    if let signer, let tapped = await signer.publicKey(of: card),
      let recorded = try await cache.asynchronous.publicKey(card: card.text),
      recorded != Hex.lowercase(tapped)
    {
      throw RuleError(
        .cardProof,
        "card \(card.masked) is not the card enrolled under its number (its key is another): nothing recorded; the "
          + "cardholder asks at HQ's customer desk",
        screenLines: ["Card not the one", "enrolled under its", "number: ask at the", "customer desk."])
    }
    return view
  }

  public func receipt(_ number: String, terminal: String, card: CardID?, at: UTCInstant) async throws
    -> ReceiptStatus
  {
    // Not found: the rule's own refusal, as the refund itself would say it.
    let (id, receipt) = try await cache.asynchronous.receipt(number, terminal: terminal, card: card?.text)
    // The receipt keeps the card it was found through, for the refund itself.
    return ReceiptStatus(id: id, amount: receipt.amount, refunded: receipt.refunded, card: card)
  }

  public func perform(_ operation: CounterOperation, context: OperationContext, dryRun: Bool) async throws
    -> RecordOutcome
  {
    let cache = cache.asynchronous
    switch operation {
    case .enroll(let card, let referrer):
      let key = try await signer?.publicKey(of: card).map { bytes throws(RuleError) in
        try CardProof.publicKeyText(bytes)
      }
      return .enrolled(
        account: try await cache.enroll(
          card: card.text, referrer: referrer?.text, cardKey: key, context: context, dryRun: dryRun))
    case .purchase(let card, let lines, let receipt, let provisional, _):
      return .earned(
        try await cache.earn(
          card: card.text, lines: lines, receipt: receipt, provisional: provisional, context: context, dryRun: dryRun))
    case .redeem(let card, let item, _):
      var proof: CardProof?
      // The card signs what is recorded, once confirmed; the confirm screen's dry run asks nothing.
      if !dryRun, let signer, await signer.publicKey(of: card) != nil {
        let (draft, cardCanSign) = try await cache.redeemDraft(card: card.text, item: item, context: context)
        if cardCanSign { proof = try await Self.sign(draft, by: card, with: signer) }
      }
      let r = try await cache.redeem(card: card.text, item: item, proof: proof, context: context, dryRun: dryRun)
      return .redeemed(item: item, points: r.points, balance: r.balance)
    case .refund(let receipt, let amount, let card):
      let r = try await cache.refund(
        receipt: receipt, amount: amount, card: card?.text, context: context, dryRun: dryRun)
      return .refunded(receipt: receipt, reversed: r.reversed, balance: r.balance)
    case .block(let card):
      try await cache.block(card: card.text, context: context, dryRun: dryRun)
      return .blocked(card: card)
    }
  }

  /// `card`'s signature over `entry`, on a fresh nonce.
  static func sign(_ entry: Entry, by card: CardID, with signer: any CardSigner) async throws -> CardProof {
    var nonce = [UInt8](repeating: 0, count: CardProof.nonceLength)
    var random = SystemRandomNumberGenerator()
    for i in nonce.indices { nonce[i] = random.next() }
    let signature = try await signer.sign(CardProof.challenge(for: entry, nonce: nonce), by: card)
    return CardProof(nonce: nonce, signature: signature)
  }
}

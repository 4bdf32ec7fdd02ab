/// Which entries need a card's signature, and what an account whose cards cannot sign may do
/// without one: the one rule the counter applies before it records and HQ's audit applies
/// before it admits.
///
/// - A **redemption** spends the points of its card's account: it is signed by the card redeeming.
/// - A **link** hands the account to a new card: it is signed by the account's existing card (its
///   `ref`); the new card's own key, when it has one, is the link's `data`.
/// - A **block** is not signed: the card being blocked is the lost one. It moves no point and the
///   account stays intact; HQ's findings report blocks of another shop's customers.
/// - A **refund** is made on the receipt, without the card; HQ's findings report refunds of another
///   shop's receipts.
///
/// On an account with a card that can sign (a public key in its `cardKeys`), a redemption or a
/// link without a verified signature of one of its cards is refused. On an account whose cards
/// cannot sign (a UID, an NDEF sticker), the program's `cardProof.unprovenRedeemPointsPerDay`
/// bounds what the whole chain may redeem from it in one UTC day.
public enum CardProofPolicy {
  /// The card whose signature `entry` needs, when its kind needs one.
  public static func signer(of entry: Entry) -> String? {
    switch entry.kind {
    case .redeem: entry.card
    case .link: entry.ref
    case .enroll, .block, .earn, .reversal, .referralBonus, .adjustment, .expiry, .program, .terminalRegister,
      .terminalRevoke, .seal, .restore:
      nil
    }
  }

  /// Why `entry` may not be recorded with the proof (and card key) it carries, on `account` as
  /// its decider knew it, or nil. `unprovenToday`: the points already redeemed from the account
  /// without a card's signature on the entry's UTC day (what the decider knows of the chain).
  public static func problem(_ entry: Entry, account: AccountState?, program: LoyaltyProgram, unprovenToday: Int64)
    -> RuleError?
  {
    if entry.kind == .enroll || entry.kind == .link, let key = entry.data, CardProof.publicKey(key) == nil {
      return RuleError(.cardProof, "the card's public key (data) is not a P-256 point in hex")
    }
    guard let signer = signer(of: entry) else {
      return entry.proof == nil ? nil : RuleError(.cardProof, "a \(entry.kind.rawValue) entry carries no card proof")
    }
    let keys = account?.cardKeys ?? [:]
    if let text = entry.proof {
      let proof: CardProof
      do throws(RuleError) { proof = try CardProof(parsing: text) } catch { return error }
      guard let key = keys[signer] else {
        return RuleError(.cardProof, "card \(CardID.masked(signer)) has no public key on its account: it cannot sign")
      }
      guard proof.verifies(entry, publicKey: key) else {
        return RuleError(
          .cardProof, "the signature is not card \(CardID.masked(signer))'s over this entry",
          screenLines: ["Card signature", "does not match.", "Tap the card again."])
      }
      return nil
    }
    if !keys.isEmpty {
      let what = entry.kind == .redeem ? "a redemption" : "a link"
      return RuleError(
        .cardProof,
        "account \(entry.account ?? "") has a card that signs: \(what) needs the signature of "
          + (keys[signer] == nil ? "a card of the account that signs" : "card \(CardID.masked(signer))")
          + ", on the reader when it is confirmed",
        screenLines: ["Card must sign:", "hold the card on the", "reader and confirm", "again."])
    }
    if entry.kind == .redeem, let cap = program.cardProof?.unprovenRedeemPointsPerDay {
      let points = -(entry.points ?? 0)
      let (total, overflow) = unprovenToday.addingReportingOverflow(points)
      if overflow || total > cap {
        return RuleError(
          .cardProof,
          "account \(entry.account ?? "") would redeem \(overflow ? Int64.max : total) points today without a card's "
            + "signature (\(unprovenToday) already): the program allows \(cap) a day across the chain",
          screenLines: ["Limit without a", "signing card:", "\(cap) pts a day."])
      }
    }
    return nil
  }
}

extension LoyaltyProgram {
  /// What may be spent from an account whose cards cannot sign (`CardProofPolicy`).
  public struct CardProofRules: Hashable, Sendable {
    /// Points the whole chain may redeem from such an account in one UTC day; nil: no bound.
    public var unprovenRedeemPointsPerDay: Int64?

    public init(unprovenRedeemPointsPerDay: Int64? = nil) {
      self.unprovenRedeemPointsPerDay = unprovenRedeemPointsPerDay
    }
  }
}

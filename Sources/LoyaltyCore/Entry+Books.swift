extension Entry.Kind {
  /// Where an entry's points go in the chain's books: what a shop issued (earns, referral
  /// bonuses), redeemed or reversed (refunds), what HQ expired or adjusted; `nil` for kinds that
  /// move no points. The one classification the per-shop books and the accounting exports share.
  public enum BookColumn: String, CaseIterable, Sendable {
    case issued, redeemed, reversed, expired, adjusted
  }

  /// This kind's column in the books, or nil when it moves no points.
  public var bookColumn: BookColumn? {
    switch self {
    case .earn, .referralBonus: .issued
    case .redeem: .redeemed
    case .reversal: .reversed
    case .expiry: .expired
    case .adjustment: .adjusted
    case .enroll, .link, .block, .program, .terminalRegister, .terminalRevoke, .seal, .restore: nil
    }
  }
}

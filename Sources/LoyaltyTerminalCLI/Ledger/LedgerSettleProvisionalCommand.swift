import ArgumentParser
import Ledger
import LoyaltyCore

/// `loyalty-terminal ledger settle-provisional`: moves provisional points stranded on a card's
/// own account (the card was linked to another account) to the account the card belongs to.
struct LedgerSettleProvisionalCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "settle-provisional",
    abstract:
      "Move provisional points earned on a card that was then linked to another account onto that account (two adjustments each)."
  )

  @OptionGroup var hq: HQOptions

  func run() throws {
    try reportLedger(json: hq.json) {
      let (fold, _) = try LedgerFold.fold(path: hq.ledger, sealedOnly: true)
      let pendingDays = fold.program?.pendingDays ?? 0
      var entries: [LedgerEntry] = []
      var moved: [String: Int64] = [:]
      for hold in fold.audit.provisionalHolds {
        guard let owner = hold.belongsTo, let held = fold.accounts[hold.heldOn] else { continue }
        let pair = Decisions.settlement(of: held, card: hold.card, to: owner, at: hq.time, pendingDays: pendingDays)
        if let amount = pair.last?.points { moved[hold.card] = amount }
        entries += pair.map { LedgerEntry($0) }
      }
      _ = try hq.append(entries)
      let total = moved.values.reduce(Int64(0), +)
      return (
        "moved \(total) provisional points of \(moved.count) linked cards onto their accounts"
          + " (points still in their return window wait for a later run)",
        ["moved": moved, "points": total]
      )
    }
  }
}

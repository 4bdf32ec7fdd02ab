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
      let (fold, _) = try LedgerFold.fold(path: hq.ledger)
      let holds = fold.audit.provisionalHolds.filter { $0.belongsTo != nil }
      let entries = holds.flatMap { Decisions.settlement(of: $0, at: hq.time) }.map { LedgerEntry($0) }
      _ = try hq.append(entries)
      let moved = holds.reduce(Int64(0)) { $0 + $1.points }
      return (
        "moved \(moved) provisional points of \(holds.count) linked cards onto their accounts",
        ["cards": holds.map(\.card), "points": moved]
      )
    }
  }
}

import ArgumentParser
import HQBackOffice
import LedgerFormat
import LedgerStore
import LoyaltyCLISupport
import LoyaltyCore

/// `loyalty-hq ledger settle-provisional`: moves provisional points stranded on a card's
/// own account (the card was linked to another account) to the account the card belongs to.
struct LedgerSettleProvisionalCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "settle-provisional",
    abstract:
      "Move provisional points earned on a card that was then linked to another account onto that account (two adjustments each)."
  )

  @Flag(help: "Print the entries that would be appended; append nothing.")
  var dryRun = false

  @OptionGroup var hq: HQOptions

  func run() throws {
    try reportLedger(json: hq.json) {
      var moved: [String: Int64] = [:]
      let entries = try LedgerFile(path: hq.ledger).appendHQ(
        key: LedgerKey.load(from: hq.hqKey), at: hq.time, dryRun: dryRun
      ) { fold in
        let legacy = fold.program?.pendingDays ?? 0
        var entries: [Entry] = []
        moved = [:]
        for hold in fold.audit.provisionalHolds {
          guard let owner = hold.belongsTo, let held = fold.accounts[hold.heldOn] else { continue }
          let pair = Decisions.settlement(of: held, card: hold.card, to: owner, at: hq.time, legacyPendingDays: legacy)
          if let amount = pair.last?.points { moved[hold.card] = amount }
          entries += pair
        }
        return entries
      }
      let total = moved.values.reduce(Int64(0), +)
      let cards = moved.count == 1 ? "1 linked card" : "\(moved.count) linked cards"
      let object: [String: Any] = ["moved": moved, "points": total]
      guard !dryRun else {
        return LedgerEntryListing.dryRun(
          entries, summary: "move \(LedgerEntryListing.points(total)) of \(cards)", object: object)
      }
      return (
        "moved \(LedgerEntryListing.count(total, "provisional point")) of "
          + "\(LedgerEntryListing.count(moved.count, "linked card")) onto their accounts"
          + " (points still in their return window wait for a later run)",
        object
      )
    }
  }
}

import ArgumentParser
import LoyaltyCLISupport
import LoyaltyCore

/// `loyalty-terminal history CARD`: the card's account as this counter knows it — its state, and
/// this counter's own entries on it, oldest first (its other cards masked). The whole history is
/// HQ's (`loyalty-hq ledger account`): a counter keeps states, not other shops' entries.
struct HistoryCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "history",
    abstract: "Show a card's account as this counter knows it: its state and this counter's entries, oldest first.")

  @Argument(help: ArgumentHelp(CardArgument.help), transform: CardArgument.parse)
  var card: String

  @OptionGroup var cache: CacheOptions

  func run() throws {
    try report(json: cache.json) {
      let store = try cache.open(.readOnly)
      let entries = try store.history(card: card)
      let state = try store.accountState(card: card)
      // The account's other cards are shown masked: a counter's people see the card in hand.
      func shown(_ other: String?) -> String? { other.map { $0 == card ? $0 : CardID.masked($0) } }
      let text = entries.map { (e, refused) in
        "\(UTCInstant(seconds: e.at))  \(e.kind)  \(e.points >= 0 ? "+" : "")\(e.points)  \(shown(e.card) ?? "-")  \(e.terminal)/\(e.operator)\(e.receipt.map { "  receipt \($0)" } ?? "")\(e.item.map { "  item \($0)" } ?? "")\(refused.map { "  (refused by HQ: \($0))" } ?? (e.synced ? "" : "  (not synced)"))"
      }.joined(separator: "\n")
      let objects: [[String: Any]] = entries.map(\.record).map { e in
        var o: [String: Any] = [
          "id": e.id, "kind": e.kind.rawValue, "at": UTCInstant(seconds: e.at).description, "terminal": e.terminal,
          "operator": e.operator, "account": e.accountId, "points": e.points, "synced": e.synced,
        ]
        if let v = shown(e.card) { o["card"] = v }
        if let v = e.amount { o["amount"] = v }
        if let v = e.receipt { o["receipt"] = v }
        if let v = e.item { o["item"] = v }
        return o
      }
      var head = ""
      var account: [String: Any] = [:]
      if let state {
        let receipts = state.receipts.count
        let days = state.tierDays.days.count
        let lots = state.lots.lots.count
        let plural = { (n: Int, word: String) in "\(n) \(word)\(n == 1 ? "" : "s")" }
        head =
          "account \(state.id): balance \(state.balance) points, \(plural(state.cards.count, "card")), "
          + "\(plural(state.purchases, "purchase")), \(plural(receipts, "receipt")) kept, "
          + "\(plural(days, "day")) of tier inputs, \(plural(lots, "lot")) of points"
          + (state.lastActivity.map { ", last activity \($0)" } ?? "")
          + "\nthis counter's entries (the whole history is HQ's: loyalty-hq ledger account):\n"
        account = [
          "id": state.id, "balance": state.balance, "cards": state.cards.sorted().compactMap(shown),
          "purchases": state.purchases, "receipts": receipts, "tierDays": days, "lots": lots,
        ]
        if let last = state.lastActivity { account["lastActivity"] = last.description }
      }
      return (
        head + (text.isEmpty ? (state == nil ? "no entries" : "  none") : text),
        ["card": card, "account": account, "entries": objects]
      )
    }
  }
}

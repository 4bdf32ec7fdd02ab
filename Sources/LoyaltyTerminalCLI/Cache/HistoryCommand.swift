import ArgumentParser
import LoyaltyCLISupport
import LoyaltyCore

/// `loyalty-terminal history CARD`: every entry of the card's account (its other cards masked).
struct HistoryCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "history", abstract: "List the entries of a card's account, oldest first.")

  @Argument(help: ArgumentHelp(CardArgument.help), transform: CardArgument.parse)
  var card: String

  @OptionGroup var cache: CacheOptions

  func run() throws {
    try report(json: cache.json) {
      let entries = try cache.open(.readOnly).history(card: card)
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
      return (text.isEmpty ? "no entries" : text, ["card": card, "entries": objects])
    }
  }
}

import Foundation
import LoyaltyCore

/// What the 4×20 display shows in each state. Every line fits 20 characters; what needs more
/// (a refusal, a long receipt) is a message paged with OK, never a sentence cut.
public enum CounterScreens {
  /// The lines of the machine's current screen (before a one-off notice replaces the last).
  static func lines(for m: CounterMachine) -> [String] {
    let program = m.program
    switch m.state {
    case .idle:
      return idle(waiting: m.openSale, presented: m.presented, readerOnline: m.readerOnline, program: program)
    case .reading:
      return ["Reading card...", "", "Keep the card", "on the reader"]
    case .identified(let v):
      return cardholder(v, program)
    case .unknownCard(let card, let referrer):
      return [
        "New card \(card.masked)", referrer.map { "Referred by \($0.masked)" } ?? "Scan referrer (opt)",
        "OK=enrol P=buy", "C=cancel",
      ]
    case .basket(_, let lines, let category, let typed):
      let total = lines.reduce(Int64(0)) { $0 &+ $1.amount }
      if let category {
        let amount = money(Int64(typed) ?? 0, program)
        let soFar = money(total, program)
        return [
          fit("Line \(lines.count + 1): \(category)", or: category), fit("Amount \(amount)", or: amount),
          lines.isEmpty ? "" : fit("So far \(soFar)", or: soFar), "<=del OK=add C=drop",
        ]
      }
      let menu = CounterMachine.categories(of: program).enumerated().map { "\($0.offset + 1)\($0.element.prefix(5))" }
      let head = "\(lines.count) line\(lines.count == 1 ? "" : "s") \(money(total, program))"
      return [
        fit(head, or: "\(lines.count) line\(lines.count == 1 ? "" : "s") \(bare(total, program))"),
        menu.prefix(3).joined(separator: " "), menu.dropFirst(3).prefix(3).joined(separator: " "),
        lines.isEmpty ? "Pick a category" : "OK=total  C=cancel",
      ]
    case .redeemMenu(let v, let page):
      return redeemMenu(v, page: page, program: program)
    case .refundEntry(nil, _):
      return m.refundCard.map { ["Refund for", "card \($0.masked)", "Scan the receipt", "C=cancel"] }
        ?? ["Refund", "Scan the receipt", "", "C=cancel"]
    case .refundEntry(.some(let r), let typed):
      let left = "Left \(bare(r.left, program)) of \(bare(r.amount, program))"
      return [
        fit("Receipt \(r.id)", or: r.id), left.count <= Screen.width ? left : "Left \(money(r.left, program))",
        "Refund \(money(Int64(typed) ?? 0, program))", "<=del OK=next C=end",
      ]
    case .findingReceipt(let id):
      return ["Refund", fit("Receipt \(id)", or: id), "Looking it up...", ""]
    case .blockEntry(let card):
      return [
        "Block a lost card", card.map { "Card \($0.masked)" } ?? "Tap or scan the card", "",
        card == nil ? "C=cancel" : "OK=next C=cancel",
      ]
    case .checking(let op):
      return ["Checking...", question(op, nil, m)]
    case .confirm(let op, let preview):
      return confirm(op, preview, m)
    case .recording(let op):
      return ["Recording...", question(op, nil, m), "", "Please wait"]
    case .message(let message):
      return page(of: message)
    }
  }

  /// The idle screen: the reader's state, and a sale waiting for a card with what C does.
  static func idle(waiting sale: WaitingSale?, presented: CardID?, readerOnline: Bool, program: LoyaltyProgram?)
    -> [String]
  {
    guard readerOnline else {
      return ["   LOYALTY POINTS", "Card reader offline", "Cards cannot be read", "F=refund  B=block"]
    }
    guard let sale else { return ["   LOYALTY POINTS", "", "  Tap your card", "F=refund  B=block"] }
    let total = money(sale.total, program)
    if let card = sale.card {
      // Its card still on the reader: P tries again; lifted: the next tap does.
      if card == presented {
        return [fit("Sale \(total) kept", or: total), "for this card:", "P=retry", "C=drop the sale"]
      }
      return [fit("Sale \(total) kept", or: total), "for card \(card.masked):", "tap it again", "C=drop the sale"]
    }
    return ["Sale \(total)", "Tap a card to add", "its points", "C=drop the sale"]
  }

  /// A known card: balance (and pending points), tier, the way to the next tier, the keys.
  static func cardholder(_ v: CardholderView, _ program: LoyaltyProgram?) -> [String] {
    let head = "\(CardID.masked(v.card)) \(v.balance) pts"
    let balance = v.pending > 0 ? "\(v.balance) pts, \(v.pending) pending" : head
    guard let next = v.nextTier else {
      return [
        fit(balance, or: "\(v.balance) pts"), fit("\(v.tier) (top tier)", or: v.tier), "", "P=buy R=redeem C=end",
      ]
    }
    return [
      fit(balance, or: "\(v.balance) pts"), fit("\(v.tier), \(next.name) in:", or: "\(next.name) in:"),
      nextTierWays(next, program), "P=buy R=redeem C=end",
    ]
  }

  /// What the next tier still needs, by spend and by visits (either is enough), in one line.
  static func nextTierWays(_ n: NextTier, _ program: LoyaltyProgram?) -> String {
    let visits = n.visitsNeeded.map { "\($0) visit\($0 == 1 ? "" : "s")" }
    var candidates: [String] = []
    switch (n.spendNeeded, visits) {
    case (let spend?, let visits?):
      candidates = [
        "\(money(spend, program)) or \(visits)", "\(bare(spend, program)) or \(visits)",
        "\(bare(spend, program))/\(visits)", "\(visits)",
      ]
    case (let spend?, nil): candidates = [money(spend, program), bare(spend, program)]
    case (nil, let visits?): candidates = [visits]
    case (nil, nil): candidates = [""]
    }
    return candidates.first { $0.count <= Screen.width } ?? ""
  }

  /// `line` when it fits the display, else `shorter` (cut only if even that does not fit).
  static func fit(_ line: String, or shorter: String) -> String {
    line.count <= Screen.width ? line : String(shorter.prefix(Screen.width))
  }

  /// The redeem menu: only what the balance pays for, numbered, three a page (OK for more).
  static func redeemMenu(_ v: CardholderView, page: Int, program: LoyaltyProgram?) -> [String] {
    let items = CounterMachine.affordable(v, in: program)
    guard !items.isEmpty else {
      let cheapest = (program?.catalogue ?? []).min { $0.points < $1.points }
      return [
        "Redeem: \(v.available) pts", "Not enough points",
        cheapest.map { "for \($0.name.prefix(11)) (\($0.points))" } ?? "No catalogue", "C=back",
      ]
    }
    let pages = (items.count + 2) / 3
    let shown = items.enumerated().dropFirst(page * 3).prefix(3).map { index, item in
      let points = " \(item.points)"
      let name = String("\(index + 1) \(item.name)".prefix(Screen.width - points.count))
      return name + String(repeating: " ", count: Screen.width - points.count - name.count) + points
    }
    return [pages > 1 ? "\(v.available) pts  OK=more" : "Redeem: \(v.available) pts"] + shown
      + (shown.count < 3 ? ["C=back"] : [])
  }
}

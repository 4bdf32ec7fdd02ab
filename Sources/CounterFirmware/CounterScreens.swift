import Foundation
import LoyaltyCore

/// What the 4×20 display shows in each state.
public enum CounterScreens {
  public static func screen(for state: CounterState, program: LoyaltyProgram?) -> Screen {
    switch state {
    case .idle:
      return idle(waitingFor: nil, program: program)
    case .reading:
      return Screen(["Reading card...", "", "Keep the card", "on the reader"])
    case .identified(let v):
      // Points inside their return window are in the balance but not redeemable: said first.
      return Screen([
        "Card \(masked(v.card))", "\(v.tier)  \(v.balance) pts",
        v.pending > 0 ? "\(v.pending) pts pending" : next(v, program),
        "P=buy R=redeem C=x",
      ])
    case .unknownCard(let card, let referrer):
      return Screen([
        "New card \(masked(card))", referrer.map { "Ref \(masked($0))" } ?? "Scan referrer (opt)",
        "OK=enrol P=buy", "C=cancel",
      ])
    case .basket(_, let lines, let category, let typed):
      let total = lines.reduce(Int64(0)) { $0 + $1.amount }
      if let category {
        return Screen([
          "Line \(lines.count + 1): \(category)", "Amount \(money(typed, program))", "", "OK=add  C=drop",
        ])
      }
      let menu = CounterFirmware.categories(of: program).enumerated().map { "\($0.offset + 1)\($0.element.prefix(5))" }
      return Screen([
        "\(lines.count) line\(lines.count == 1 ? "" : "s") \(money(String(total), program))",
        menu.prefix(3).joined(separator: " "),
        menu.dropFirst(3).joined(separator: " "), lines.isEmpty ? "Pick a category" : "OK=total  C=cancel",
      ])
    case .redeemMenu(let v):
      let items = (program?.catalogue ?? []).enumerated().map {
        "\($0.offset + 1) \($0.element.id) \($0.element.points)"
      }
      return Screen(["Redeem (\(v.available) pts)"] + items.prefix(3))
    case .refundEntry(let receipt, let typed):
      return Screen([
        "Refund", receipt.map { "Receipt \($0)" } ?? "Scan the receipt", "Amount \(money(typed, program))",
        "OK=next  C=cancel",
      ])
    case .blockEntry(let card):
      return Screen([
        "Block a lost card", card.map { "Card \(masked($0))" } ?? "Tap or scan the card", "", "OK=next C=cancel",
      ])
    case .confirm(let op):
      let question = describe(op, program)
      return Screen([question.0, question.1, "", "OK=confirm C=cancel"])
    case .recording(let op):
      let question = describe(op, program)
      return Screen(["Recording...", question.0, question.1, "Please wait"])
    case .message(let m):
      return Screen(m.lines)
    }
  }

  /// The idle screen; while a sale entered without a card waits for it, the sale and what to do.
  static func idle(waitingFor sale: CardlessSale?, program: LoyaltyProgram?) -> Screen {
    guard let sale else { return Screen(["   LOYALTY POINTS", "", "  Tap your card", "F=refund  B=block"]) }
    let total = sale.lines.reduce(Int64(0)) { $0 + $1.amount }
    return Screen([
      "   LOYALTY POINTS", "Sale \(money(String(total), program))", "Tap card to add pts", "F=refund  B=block",
    ])
  }

  /// The way to the next tier: the spend still needed, in money ("Silver: 387.50 EUR").
  static func next(_ v: CardholderView, _ program: LoyaltyProgram?) -> String {
    guard let n = v.nextTier else { return "Top tier" }
    if let spend = n.spendNeeded { return "\(n.name): \(money(String(spend), program))" }
    return n.name
  }

  /// A card as the display and receipts show it: its last four characters ("****7895").
  public static func masked(_ card: String) -> String { "****" + card.suffix(4) }

  /// `text` with every card ID in it (a loyalty number, a UID) shown as `masked` does.
  static func maskingCards(_ text: String) -> String {
    text.split(separator: " ", omittingEmptySubsequences: false).map { word -> String in
      let bare = word.trimmingCharacters(in: CharacterSet(charactersIn: "\"',.:;()"))
      guard bare.count >= 8, (try? Identities.validateCard(bare)) != nil else { return String(word) }
      return word.replacingOccurrences(of: bare, with: masked(bare))
    }.joined(separator: " ")
  }

  /// Minor units as a decimal amount with the program's currency ("1250" → "12.50 EUR").
  static func money(_ typed: String, _ program: LoyaltyProgram?) -> String {
    let digits = max(0, program?.minorUnits ?? 2)
    let padded = String(repeating: "0", count: max(0, digits + 1 - typed.count)) + typed
    let amount = digits > 0 ? "\(padded.dropLast(digits)).\(padded.suffix(digits))" : padded
    guard let currency = program?.currency else { return amount }
    return amount + " " + currency
  }

  /// The confirm screen's question, on two lines.
  static func describe(_ op: CounterOperation, _ program: LoyaltyProgram?) -> (String, String) {
    switch op {
    case .enroll: ("Enrol this card?", "")
    case .purchase(_, let lines, _, let provisional, let soldAt):
      (
        "\(soldAt == nil ? "Total" : "Add sale") \(money(String(lines.reduce(0) { $0 + $1.amount }), program))?",
        provisional ? "Points at next sync" : ""
      )
    case .redeem(_, let item, let points): ("\(item) \(points)pts?", "")
    case .refund(let receipt, let amount): ("Refund \(money(String(amount), program))?", "Receipt \(receipt)")
    case .block: ("Block this card?", "")
    }
  }

  /// Splits text into at most `lines` lines of the display's width, at spaces where it can.
  public static func wrap(_ text: String, lines: Int) -> [String] {
    var out: [String] = []
    var current = ""
    for word in text.split(separator: " ") {
      if current.isEmpty {
        current = String(word.prefix(Screen.width))
      } else if current.count + 1 + word.count <= Screen.width {
        current += " " + word
      } else {
        out.append(current)
        current = String(word.prefix(Screen.width))
      }
    }
    if !current.isEmpty { out.append(current) }
    return Array(out.prefix(lines))
  }
}

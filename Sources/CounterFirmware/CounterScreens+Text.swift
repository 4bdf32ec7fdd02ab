import Foundation
import LoyaltyCore

/// The words on the screens: confirm questions, receipts, refusals, and fitting text to 20
/// characters without cutting it.
extension CounterScreens {
  /// The page of a message shown now: all of it when it fits, else three lines and "OK=more".
  static func page(of message: CounterMessage) -> [String] {
    guard message.pages > 1 else { return message.lines }
    let lines = Array(message.lines.dropFirst(message.page * CounterMessage.pageLines).prefix(CounterMessage.pageLines))
    let footer = message.hasMore ? "OK=more  (\(message.page + 1)/\(message.pages))" : ""
    return lines + Array(repeating: "", count: CounterMessage.pageLines - lines.count) + [footer]
  }

  /// A refusal as the display says it: the rule's own screen lines, or its message wrapped (cards
  /// masked); either way every line fits and nothing is cut.
  static func refusalLines(_ failure: CounterFailure) -> [String] {
    let lines = failure.screenLines ?? [maskingCards(failure.message)]
    return lines.flatMap { $0.count <= Screen.width ? [$0] : wrap($0) }
  }

  /// The confirm screen: what storage checked the operation does, before the cashier's OK.
  static func confirm(_ op: CounterOperation, _ preview: RecordOutcome, _ m: CounterMachine) -> [String] {
    let program = m.program
    switch (op, preview) {
    case (.purchase(let card, let lines, _, let asked, let soldAt), .earned(let r)):
      // What the decision does, as the receipt will say it: a card asked as known earns
      // provisionally too when its account is one HQ has not vouched for here yet.
      let provisional = asked || r.provisional
      let total = money(lines.reduce(0) { $0 &+ $1.amount }, program)
      let bonus = r.referralBonuses[r.account] ?? 0
      let points = "+\(pts(r.points))" + (bonus > 0 ? " +\(bonus) bonus" : "")
      if soldAt != nil {
        // A sale entered before the card, offered to the card just read.
        let to = provisional ? (m.standAlone ? "on the card" : "at next sync") : card.masked
        return [fit("Add sale \(total)?", or: total), "\(points) \(to)", "OK=add to this card", "C=not this card"]
      }
      return [
        fit("Total \(total)?", or: total), points,
        provisional ? (m.standAlone ? "Kept on the card" : "Added at next sync") : "", "OK=confirm C=cancel",
      ]
    case (.redeem(_, let item, let points), .redeemed(_, _, let balance)):
      return [
        fit("Redeem \(itemName(item, program))?", or: item), "-\(pts(points)), \(balance) left", "",
        "OK=confirm C=cancel",
      ]
    case (.enroll(let card, let referrer), _):
      return ["Enrol \(card.masked)?", referrer.map { "Referred by \($0.masked)" } ?? "", "", "OK=confirm C=cancel"]
    case (.refund(let receipt, let amount, _), .refunded(_, let reversed, _)):
      return [
        fit("Refund \(money(amount, program))?", or: money(amount, program)), fit("of \(receipt)", or: receipt),
        "-\(points(reversed))", "OK=confirm C=cancel",
      ]
    default:
      return [question(op, preview, m), "", "", "OK=confirm C=cancel"]
    }
  }

  /// The operation in one line (checking, recording, and the confirm of enrol and block).
  static func question(_ op: CounterOperation, _ preview: RecordOutcome?, _ m: CounterMachine) -> String {
    switch op {
    case .enroll(let card, _): "Enrol \(card.masked)?"
    case .purchase(_, let lines, _, _, _):
      String("Total \(money(lines.reduce(0) { $0 &+ $1.amount }, m.program))".prefix(Screen.width))
    case .redeem(_, let item, _): fit("Redeem \(itemName(item, m.program))", or: item)
    case .refund(_, let amount, _): "Refund \(money(amount, m.program))"
    case .block(let card): "Block \(card.masked)?"
    }
  }

  /// The receipt screen of a recorded operation.
  static func receiptLines(
    _ outcome: RecordOutcome, for operation: CounterOperation, program: LoyaltyProgram?, standAlone: Bool
  ) -> [String] {
    switch outcome {
    case .enrolled:
      var lines = ["Welcome!", "Card enrolled"]
      if case .enroll(_, .some(let referrer)) = operation { lines.append("Referred by \(referrer.masked)") }
      return lines + (lines.count == 2 ? ["", "P=buy for this card"] : ["P=buy for this card"])
    case .earned(let r) where r.provisional:
      // A card this counter does not know: no balance (it is not the cardholder's here).
      return ["+\(points(r.points))"]
        + (standAlone ? ["kept on the card", "until it is enrolled"] : ["added at next sync", ""])
        + receiptNumber(r.receipt)
    case .earned(let r):
      // The whole receipt number, for a later refund.
      let bonus = r.referralBonuses[r.account] ?? 0
      let standing = "Balance \(r.balance) \(r.tier)"
      return ["+\(points(r.points))"] + (bonus > 0 ? ["+\(bonus) referral bonus"] : [])
        + (standing.count <= Screen.width ? [standing] : ["Balance \(r.balance)", r.tier]) + receiptNumber(r.receipt)
    case .redeemed(let item, let points, let balance):
      return wrap("Redeemed \(itemName(item, program))") + ["-\(Self.points(points))", "Balance \(balance)"]
    case .refunded(let receipt, let reversed, let balance):
      return ["Refund recorded"] + wrap("of \(receipt)") + ["-\(points(reversed))", "Balance \(balance)"]
    case .blocked(let card):
      return ["Card \(card.masked)", "blocked. Its points", "stay on the account", "for a new card."]
    }
  }

  /// "Receipt T01/A42", or the number alone on as many lines as it needs.
  static func receiptNumber(_ receipt: String) -> [String] {
    let line = "Receipt \(receipt)"
    return line.count <= Screen.width ? [line] : ["Receipt:"] + wrap(receipt)
  }

  /// "1 point", "50 points".
  static func points(_ n: Int64) -> String { "\(n) point\(n == 1 ? "" : "s")" }

  /// "1 pt", "50 pts".
  static func pts(_ n: Int64) -> String { "\(n) pt\(n == 1 ? "" : "s")" }

  static func itemName(_ id: String, _ program: LoyaltyProgram?) -> String { program?.item(id)?.name ?? id }

  /// `text` with every card ID in it (a loyalty number, a UID) shown as `masked` does.
  static func maskingCards(_ text: String) -> String {
    text.split(separator: " ", omittingEmptySubsequences: false).map { word -> String in
      let bare = word.trimmingCharacters(in: CharacterSet(charactersIn: "\"',.:;()"))
      guard bare.count >= 8, (try? CardID(bare)) != nil else { return String(word) }
      return word.replacingOccurrences(of: bare, with: CardID.masked(bare))
    }.joined(separator: " ")
  }

  /// Minor units with the program's currency ("12.50 EUR"), as the core writes money.
  static func money(_ amount: Int64, _ program: LoyaltyProgram?) -> String {
    LoyaltyProgram.money(amount, in: program)
  }

  /// Minor units as a bare decimal ("12.50").
  static func bare(_ amount: Int64, _ program: LoyaltyProgram?) -> String {
    LoyaltyProgram.money(amount, in: program, withCurrency: false)
  }

  /// Splits text into lines of the display's width at spaces; a word longer than a line is
  /// split across lines rather than cut.
  public static func wrap(_ text: String) -> [String] {
    var out: [String] = []
    var current = ""
    for word in text.split(separator: " ") {
      var word = Substring(word)
      while word.count > Screen.width {
        if !current.isEmpty { out.append(current) }
        current = ""
        out.append(String(word.prefix(Screen.width)))
        word = word.dropFirst(Screen.width)
      }
      if current.isEmpty {
        current = String(word)
      } else if current.count + 1 + word.count <= Screen.width {
        current += " " + word
      } else {
        out.append(current)
        current = String(word)
      }
    }
    if !current.isEmpty { out.append(current) }
    return out
  }
}

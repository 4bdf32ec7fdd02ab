import LoyaltyCore
import PointsCache

extension CounterFirmware {
  /// The purchase categories the keypad offers, in order (1…n): those the program's rates and
  /// promotions name, then "other".
  public nonisolated static func categories(of program: LoyaltyProgram?) -> [String] {
    var named = Set(program?.categoryRates.keys ?? [:].keys)
    for promotion in program?.promotions ?? [] { named.formUnion(promotion.categories ?? []) }
    return named.sorted() + ["other"]
  }

  func pressed(_ key: CounterKey) async {
    // A message is done with as soon as the cashier starts the next thing.
    if case .message = state, key == .refund || key == .block { go(.idle) }
    switch (state, key) {
    case (.idle, .refund): go(.refundEntry(receipt: nil, typed: ""))
    case (.idle, .block): go(.blockEntry(card: nil))
    case (.idle, _), (.reading, _): break

    case (.identified(let view), .purchase):
      pendingReceipt = nil
      go(.basket(view, lines: [], category: nil, typed: ""))
    case (.identified(let view), .redeem): go(.redeemMenu(view))

    case (.unknownCard(let card, let referrer), .ok): go(.confirm(.enroll(card: card, referrer: referrer)))

    case (.basket(let view, let lines, nil, _), .digit(let d)):
      let categories = Self.categories(of: program)
      guard (1...categories.count).contains(d) else { return }
      go(.basket(view, lines: lines, category: categories[d - 1], typed: ""))
    case (.basket(let view, let lines, nil, _), .ok) where !lines.isEmpty:
      go(.confirm(.purchase(card: view.card, lines: lines, receipt: pendingReceipt)))
    case (.basket(let view, let lines, .some(let category), let typed), .digit(let d)) where typed.count < 9:
      go(.basket(view, lines: lines, category: category, typed: typed == "0" ? "\(d)" : typed + "\(d)"))
    case (.basket(let view, let lines, .some(let category), _), .clear):
      go(.basket(view, lines: lines, category: category, typed: ""))
    case (.basket(let view, let lines, .some(let category), let typed), .ok):
      guard let amount = Int64(typed), amount > 0 else { return }
      go(.basket(view, lines: lines + [PurchaseLine(category: category, amount: amount)], category: nil, typed: ""))
    case (.basket(let view, let lines, .some, _), .cancel):
      go(.basket(view, lines: lines, category: nil, typed: ""))  // drops the line being typed

    case (.redeemMenu(let view), .digit(let d)):
      guard let catalogue = program?.catalogue, (1...catalogue.count).contains(d) else { return }
      let item = catalogue[d - 1]
      go(.confirm(.redeem(card: view.card, item: item.id, points: item.points)))

    case (.refundEntry(let receipt, let typed), .digit(let d)) where typed.count < 9:
      go(.refundEntry(receipt: receipt, typed: typed == "0" ? "\(d)" : typed + "\(d)"))
    case (.refundEntry(let receipt, _), .clear): go(.refundEntry(receipt: receipt, typed: ""))
    case (.refundEntry(.some(let receipt), let typed), .ok):
      guard let amount = Int64(typed), amount > 0 else { return }
      go(.confirm(.refund(receipt: receipt, amount: amount)))

    case (.blockEntry(.some(let card)), .ok): go(.confirm(.block(card: card)))

    case (.confirm(let operation), .ok): await perform(operation)

    case (.message, .ok), (.message, .cancel): go(.idle)
    case (_, .cancel): show(.cancelled, ["Cancelled", "Nothing recorded"])
    default: break
    }
  }

  /// Records a confirmed operation and shows its receipt, or the refusal.
  func perform(_ operation: CounterOperation) async {
    let context = self.context
    do {
      let lines: [String]
      switch operation {
      case .enroll(let card, let referrer):
        _ = try await storage.enroll(card: card, referrer: referrer, context: context)
        lines = ["Welcome!", "Card enrolled", referrer.map { "Referred by \(CounterScreens.masked($0))" } ?? ""]
      case .purchase(let card, let basket, let receipt):
        let r = try await storage.earn(card: card, lines: basket, receipt: receipt, context: context)
        lines = ["+\(r.points) points", "Balance \(r.balance)", r.tier, "Receipt \(r.receipt)"]
      case .redeem(let card, let item, _):
        let r = try await storage.redeem(card: card, item: item, context: context)
        lines = ["Redeemed \(item)", "-\(r.points) points", "Balance \(r.balance)"]
      case .refund(let receipt, let amount):
        let r = try await storage.refund(receipt: receipt, amount: amount, context: context)
        lines = ["Refund \(receipt)", "-\(r.reversed) points", "Balance \(r.balance)"]
      case .block(let card):
        try await storage.block(card: card, context: context)
        lines = ["Card blocked", "Card \(CounterScreens.masked(card))", "Account kept"]
      }
      recorded.append(RecordedOperation(operation: operation, at: context.at, summary: lines.joined(separator: " / ")))
      if recorded.count > Self.recentLimit { recorded.removeFirst(recorded.count - Self.recentLimit) }
      show(.receipt, lines)
    } catch {
      refused(error)
    }
  }
}

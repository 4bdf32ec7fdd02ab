import LoyaltyCore

extension CounterMachine {
  /// The purchase categories the keypad offers, in order (1…n): those the program's rates and
  /// promotions name, then "other".
  public static func categories(of program: LoyaltyProgram?) -> [String] {
    var named = Set(program?.categoryRates.keys ?? [:].keys)
    for promotion in program?.promotions ?? [] { named.formUnion(promotion.categories ?? []) }
    return named.sorted() + ["other"]
  }

  /// A digit typed onto an amount (at most nine digits, no leading zero).
  static func typing(_ typed: String, _ d: Int) -> String? {
    guard typed.count < 9 else { return nil }
    return typed == "0" ? "\(d)" : typed + "\(d)"
  }

  mutating func pressed(_ key: CounterKey) {
    switch state {
    case .idle:
      switch key {
      case .refund: go(.refundEntry(receipt: nil, typed: ""))
      case .block: go(.blockEntry(card: nil))
      case .purchase:
        // A sale before the card: kept for a card presented after payment.
        pendingReceipt = nil
        go(.basket(nil, lines: [], category: nil, typed: ""))
      case .digit, .ok, .cancel, .clear, .redeem: break
      }
    case .reading, .recording:
      break  // the card or the write answers first
    case .message:
      switch key {
      // A message is done with as soon as the cashier starts the next thing.
      case .refund, .block:
        go(.idle)
        pressed(key)
      case .ok, .cancel: go(.idle)
      case .purchase:
        go(.idle)
        pressed(key)
      case .digit, .clear, .redeem: break
      }
    case .identified(let view):
      switch key {
      case .purchase:
        pendingReceipt = nil
        go(.basket(view, lines: [], category: nil, typed: ""))
      case .redeem: go(.redeemMenu(view))
      case .cancel: cancelled()
      case .digit, .ok, .clear, .refund, .block: break
      }
    case .unknownCard(let card, let referrer):
      switch key {
      case .ok: go(.confirm(.enroll(card: card, referrer: referrer)))
      case .purchase:
        // Earns provisionally: on the card's own account, added at the next sync.
        pendingReceipt = nil
        go(.basket(.provisional(card: card), lines: [], category: nil, typed: ""))
      case .cancel: cancelled()
      case .digit, .clear, .redeem, .refund, .block: break
      }
    case .basket(let view, let lines, nil, _):
      let categories = Self.categories(of: program)
      switch key {
      case .digit(let d) where (1...categories.count).contains(d):
        go(.basket(view, lines: lines, category: categories[d - 1], typed: ""))
      case .ok where !lines.isEmpty:
        if let view {
          go(.confirm(.purchase(card: view.card, lines: lines, receipt: pendingReceipt, provisional: view.provisional)))
        } else {
          keepCardlessSale(lines)
        }
      case .cancel: cancelled()
      case .digit, .ok, .clear, .purchase, .redeem, .refund, .block: break
      }
    case .basket(let view, let lines, .some(let category), let typed):
      switch key {
      case .digit(let d):
        if let next = Self.typing(typed, d) { go(.basket(view, lines: lines, category: category, typed: next)) }
      case .clear: go(.basket(view, lines: lines, category: category, typed: ""))
      case .ok:
        guard let amount = Int64(typed), amount > 0 else { return }
        go(.basket(view, lines: lines + [PurchaseLine(category: category, amount: amount)], category: nil, typed: ""))
      case .cancel: go(.basket(view, lines: lines, category: nil, typed: ""))  // drops the line being typed
      case .purchase, .redeem, .refund, .block: break
      }
    case .redeemMenu(let view):
      switch key {
      case .digit(let d):
        guard let catalogue = program?.catalogue, (1...catalogue.count).contains(d) else { return }
        let item = catalogue[d - 1]
        go(.confirm(.redeem(card: view.card, item: item.id, points: item.points)))
      case .cancel: cancelled()
      case .ok, .clear, .purchase, .redeem, .refund, .block: break
      }
    case .refundEntry(let receipt, let typed):
      switch key {
      case .digit(let d):
        if let next = Self.typing(typed, d) { go(.refundEntry(receipt: receipt, typed: next)) }
      case .clear: go(.refundEntry(receipt: receipt, typed: ""))
      case .ok:
        guard let receipt, let amount = Int64(typed), amount > 0 else { return }
        go(.confirm(.refund(receipt: receipt, amount: amount)))
      case .cancel: cancelled()
      case .purchase, .redeem, .refund, .block: break
      }
    case .blockEntry(let card):
      switch key {
      case .ok:
        guard let card else { return }
        go(.confirm(.block(card: card)))
      case .cancel: cancelled()
      case .digit, .clear, .purchase, .redeem, .refund, .block: break
      }
    case .confirm(let operation):
      switch key {
      case .ok:
        go(.recording(operation))
        // A card added to a sale after payment earns as the sale did, at its time.
        var at = now
        if case .purchase(_, _, _, _, let soldAt?) = operation { at = soldAt }
        effects.append(
          .record(operation, OperationContext(terminal: settings.terminal, operator: settings.operatorId, at: at)))
      case .cancel:
        // "Not this card": an offered sale waits for the right one.
        if putBackSale(of: operation) {
          show(.cancelled, ["Cancelled", "Sale kept for", "another card"])
        } else {
          cancelled()
        }
      case .digit, .clear, .purchase, .redeem, .refund, .block: break
      }
    }
  }

  mutating func cancelled() { show(.cancelled, ["Cancelled", "Nothing recorded"]) }

  /// Keeps a sale entered without a card for `lateCardSeconds`: the next card read is offered it.
  mutating func keepCardlessSale(_ lines: [PurchaseLine]) {
    // One sale waits at a time: a newer one replaces it, and the screen says so.
    let replaced = openSale != nil
    cardlessSale = CardlessSale(lines: lines, receipt: pendingReceipt, at: now)
    log("sale kept for a card", ["lines": "\(lines.count)", "receipt": pendingReceipt ?? "none"])
    effects.append(.signal(.success))
    go(
      .message(
        CounterMessage(
          kind: .receipt,
          lines: [
            "Sale kept", "Tap the card within", "\(settings.lateCardSeconds / 60) min to add points",
            replaced ? "Earlier sale dropped" : "",
          ])))
  }
}

import LoyaltyCore

extension CounterMachine {
  /// The purchase categories the keypad offers, in order (1…n): those the program's rates and
  /// promotions name, then "other".
  public static func categories(of program: LoyaltyProgram?) -> [String] {
    var named = Set(program?.categoryRates.keys ?? [:].keys)
    for promotion in program?.promotions ?? [] { named.formUnion(promotion.categories ?? []) }
    return named.sorted() + ["other"]
  }

  /// The catalogue items `view` can pay for now, in catalogue order: the redeem menu's items.
  public static func affordable(_ view: CardholderView, in program: LoyaltyProgram?) -> [LoyaltyProgram.CatalogueItem] {
    (program?.catalogue ?? []).filter { $0.points <= view.available }
  }

  /// Digits an amount takes on the keypad: 99 999.99 in a currency of two minor units, so a
  /// slipped finger cannot make a purchase of millions.
  static let amountDigits = 7

  /// A digit typed onto an amount (at most `amountDigits`, no leading zero).
  static func typing(_ typed: String, _ d: Int) -> String? {
    guard typed.count < amountDigits else { return nil }
    return typed == "0" ? "\(d)" : typed + "\(d)"
  }

  mutating func pressed(_ key: CounterKey) {
    switch state {
    case .idle: pressedOnIdle(key)
    case .reading, .recording, .checking:
      break  // the card or storage answers first
    case .findingReceipt:
      if key == .cancel { cancelled() }
    case .message(var message):
      switch key {
      case .ok where message.hasMore:
        message.page += 1
        go(.message(message))
      // OK: on to what comes next — the screen the refusal interrupted, or the card still on the
      // reader (read again: its balance moved). C: back to idle.
      case .ok: leaveMessage()
      case .cancel: go(.idle)
      case .purchase, .redeem, .refund, .block:
        go(.idle)
        pressedOnIdle(key)
      case .digit, .clear: break
      }
    case .identified(let view):
      switch key {
      case .purchase:
        pendingReceipt = nil
        go(.basket(view, lines: [], category: nil, typed: ""))
      case .redeem: go(.redeemMenu(view, page: 0))
      case .refund:
        // A refund for this customer: another counter's receipt is found in their account.
        refundCard = try? CardID(parsing: view.card)
        go(.refundEntry(receipt: nil, typed: ""))
      case .cancel: cancelled()
      case .digit, .ok, .clear, .block: notice = "P=buy R=redeem C=end"
      }
    case .unknownCard(let card, let referrer):
      switch key {
      case .ok:
        check(.enroll(card: card, referrer: referrer))
        afterMessage = .unknownCard(card: card, referrer: nil)
      case .purchase:
        // Earns provisionally: on the card's own account (joined to the cardholder's at the sync).
        pendingReceipt = nil
        go(.basket(.provisional(card: card.text), lines: [], category: nil, typed: ""))
      case .cancel: cancelled()
      case .redeem: notice = "Enrol it first (OK)"
      case .refund:
        // A card this counter does not hold (enrolled elsewhere, or another region's): its
        // receipt is looked for in its account as HQ has it, where the counter can ask HQ.
        refundCard = card
        go(.refundEntry(receipt: nil, typed: ""))
      case .digit, .clear, .block: break
      }
    case .basket(let view, let lines, nil, _): pressedOnCategories(key, view, lines)
    case .basket(let view, let lines, .some(let category), let typed):
      switch key {
      case .digit(let d):
        if let next = Self.typing(typed, d) { go(.basket(view, lines: lines, category: category, typed: next)) }
      case .clear: go(.basket(view, lines: lines, category: category, typed: String(typed.dropLast())))
      case .ok:
        guard let amount = Int64(typed), amount > 0 else {
          notice = "Type the amount"
          return
        }
        go(.basket(view, lines: lines + [PurchaseLine(category: category, amount: amount)], category: nil, typed: ""))
      case .cancel: go(.basket(view, lines: lines, category: nil, typed: ""))  // drops the line being typed
      case .purchase, .redeem, .refund, .block: break
      }
    case .redeemMenu(let view, let page):
      let items = Self.affordable(view, in: program)
      switch key {
      case .digit(let d) where d >= 1 && d <= items.count:
        guard let card = presented else { return }
        check(.redeem(card: card, item: items[d - 1].id, points: items[d - 1].points))
        afterMessage = .redeemMenu(view, page: 0)
      case .digit: notice = items.isEmpty ? "C=back" : "Pick 1-\(min(items.count, 9))"
      case .ok: go(.redeemMenu(view, page: (page + 1) * 3 < items.count ? page + 1 : 0))
      case .cancel:
        if let card = presented { ownScreen(card, view) } else { cancelled() }
      case .clear, .purchase, .redeem, .refund, .block: break
      }
    case .refundEntry(let receipt, let typed):
      switch key {
      case .digit(let d):
        guard receipt != nil else {
          notice = "Scan the receipt"
          return
        }
        if let next = Self.typing(typed, d) { go(.refundEntry(receipt: receipt, typed: next)) }
      case .clear: go(.refundEntry(receipt: receipt, typed: String(typed.dropLast())))
      case .ok:
        guard let receipt, let amount = Int64(typed), amount > 0 else {
          notice = receipt == nil ? "Scan the receipt" : "Type the amount"
          return
        }
        check(.refund(receipt: receipt.id, amount: amount, card: receipt.card))
        afterMessage = .refundEntry(receipt: receipt, typed: "")
      case .cancel: cancelled()
      case .purchase, .redeem, .refund, .block: break
      }
    case .blockEntry(let card):
      switch key {
      case .ok:
        guard let card else {
          notice = "Tap or scan the card"
          return
        }
        check(.block(card: card))
      case .cancel: cancelled()
      case .digit, .clear, .purchase, .redeem, .refund, .block: break
      }
    case .confirm(let operation, _): pressedOnConfirm(key, operation)
    }
  }

  mutating func pressedOnIdle(_ key: CounterKey) {
    switch key {
    case .refund:
      refundCard = nil
      go(.refundEntry(receipt: nil, typed: ""))
    case .block: go(.blockEntry(card: nil))
    case .purchase, .redeem:
      // With a card on the reader (the receipt of its enrolment or purchase still up), for that
      // card: read again, as the balance may have changed.
      if let card = presented {
        read(card, then: key)
      } else if key == .purchase {
        // A sale before the card: kept for a card presented after payment.
        pendingReceipt = nil
        go(.basket(nil, lines: [], category: nil, typed: ""))
      } else {
        notice = "Tap the card first"
      }
    case .cancel: dropWaitingSale()
    case .digit, .ok, .clear: notice = openSale == nil ? "Tap a card or P/F/B" : nil
    }
  }

  mutating func pressedOnCategories(_ key: CounterKey, _ view: CardholderView?, _ lines: [PurchaseLine]) {
    let categories = Self.categories(of: program)
    switch key {
    case .digit(let d) where d >= 1 && d <= categories.count:
      go(.basket(view, lines: lines, category: categories[d - 1], typed: ""))
    case .digit(let d): notice = "No category \(d)"
    case .ok where lines.isEmpty: notice = "Pick a category"
    case .ok:
      if let view {
        // A basket with a cardholder exists only while their card is on the reader.
        guard let card = presented else { return }
        check(.purchase(card: card, lines: lines, receipt: pendingReceipt, provisional: view.provisional))
        afterMessage = view.provisional ? .unknownCard(card: card, referrer: nil) : .identified(view)
      } else {
        keepCardlessSale(lines)
      }
    case .cancel: cancelled()
    case .clear where !lines.isEmpty:
      go(.basket(view, lines: Array(lines.dropLast()), category: nil, typed: ""))
      notice = "Last line removed"
    case .clear, .purchase, .redeem, .refund, .block: break
    }
  }

  mutating func pressedOnConfirm(_ key: CounterKey, _ operation: CounterOperation) {
    switch key {
    case .ok:
      go(.recording(operation))
      effects.append(.record(operation, context(for: operation)))
    case .cancel:
      // "Not this customer's card": an offered sale waits for the right one, and the cardholder
      // goes on to their own screen.
      if case .purchase(_, _, _, _, .some) = operation, putBack(operation), let card = presented,
        let view = presentedView
      {
        ownScreen(card, view)
        notice = "Sale kept for other"
      } else if case .purchase(_, let lines, let receipt, _, nil) = operation, let view = presentedView {
        // Back to the basket, its lines kept: C there cancels it all.
        pendingReceipt = receipt
        go(.basket(view, lines: lines, category: nil, typed: ""))
        notice = "C again=cancel all"
      } else {
        cancelled()
      }
    case .digit, .clear, .purchase, .redeem, .refund, .block: break
    }
  }
}

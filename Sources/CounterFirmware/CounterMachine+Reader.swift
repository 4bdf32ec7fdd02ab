import CardIdentification
import LoyaltyCore

/// The reader's inputs: a card read (or not), its look-up answered, the card lifted.
extension CounterMachine {
  mutating func tapped(_ tap: TapResult) {
    switch state {
    case .recording:
      log("tap ignored while recording", ["reader": tap.reader])
      return
    case .blockEntry(nil):
      if case .success(let identity) = tap.outcome {
        go(.blockEntry(card: identity.card))
        return
      }
    case .refundEntry(nil, _):
      // The customer's card tapped before the receipt is scanned: the refund is for that card
      // (another counter's receipt is found in its account).
      if case .success(let identity) = tap.outcome {
        refundCard = identity.card
        go(.refundEntry(receipt: nil, typed: ""))
        return
      }
    case .checking(let op), .confirm(let op, _):
      // Another card read before OK: the operation is dropped, its basket kept for its card.
      putBack(op)
    case .idle, .reading, .identified, .unknownCard, .basket, .redeemMenu, .refundEntry, .findingReceipt,
      .blockEntry, .message:
      break
    }
    switch tap.outcome {
    case .failure(let error):
      presented = nil
      log("unreadable card", ["reader": tap.reader, "error": "\(error)"])
      show(.unreadable, ["Card not readable", "Please tap again"], reason: "\(error)")
    case .success(let identity):
      read(identity.card)
    }
  }

  /// Looks up the card on the reader (again, when the cashier asked for something with it).
  mutating func read(_ card: CardID, then key: CounterKey? = nil) {
    presented = card
    presentedView = nil
    afterReading = key
    go(.reading(card: card))
    effects.append(.identify(card: card, at: now))
  }

  mutating func lookedUp(_ card: CardID, _ result: Result<CardholderView, CounterFailure>) {
    // An answer for a card no longer being read (lifted, or another tapped) is stale.
    guard case .reading(card) = state else {
      log("stale look-up ignored", ["card": card.masked, "state": state.name])
      return
    }
    let then = afterReading
    afterReading = nil
    switch result {
    case .success(let view) where view.blocked:
      show(.blocked, ["Card blocked", "Account is intact:", "ask at the customer", "desk."], reason: "card is blocked")
    case .success(let view):
      presentedView = view
      effects.append(.signal(.success))
      cardRead(card, view, then: then)
    case .failure(let failure) where failure.reason == .unknownCard:
      let view = CardholderView.provisional(card: card.text)
      presentedView = view
      effects.append(.signal(.attention))
      cardRead(card, view, then: then)
    case .failure(let failure):
      refused(failure)
    }
  }

  /// A card read and looked up: what the cashier asked for, a sale waiting for it, or its screen.
  mutating func cardRead(_ card: CardID, _ view: CardholderView, then key: CounterKey?) {
    // R asks for the redeem menu: a waiting sale stays for later. P tries this card's own kept
    // basket again, or starts a new one.
    if key == .redeem, !view.provisional {
      go(.redeemMenu(view, page: 0))
    } else if key != .purchase || openSale?.card == card, let sale = takeWaitingSale(for: card) {
      check(
        .purchase(
          card: card, lines: sale.lines, receipt: sale.receipt, provisional: view.provisional, soldAt: sale.soldAt))
    } else if key == .purchase {
      pendingReceipt = nil
      go(.basket(view, lines: [], category: nil, typed: ""))
    } else {
      ownScreen(card, view)
      // Another card's kept basket waits on: said, so it is not forgotten.
      if let other = openSale?.card, other != card { notice = "Sale waits: \(other.masked)" }
    }
  }

  /// The screen of the card on the reader: the cardholder, or the enrolment offer.
  mutating func ownScreen(_ card: CardID, _ view: CardholderView) {
    go(view.provisional ? .unknownCard(card: card, referrer: nil) : .identified(view))
  }

  mutating func cardRemoved() {
    let card = presented
    presented = nil
    presentedView = nil
    afterReading = nil
    switch state {
    case .reading, .message: go(.idle)
    case .basket(nil, _, _, _): break  // a sale entered without a card
    case .basket(.some, let lines, _, _) where !lines.isEmpty:
      if let card, keepBasket(lines, for: card) {
        show(.cardRemoved, ["Card removed", "Sale kept: tap the", "same card again."])
      } else {
        show(.cardRemoved, ["Card removed", "Nothing recorded"])
      }
    case .identified, .unknownCard, .basket, .redeemMenu:
      show(.cardRemoved, ["Card removed", "Nothing recorded"])
    case .checking(let op) where op.card != nil, .confirm(let op, _) where op.card != nil:
      show(.cardRemoved, ["Card removed"] + (putBack(op) ? keptLines(op) : ["Nothing recorded"]))
    case .recording(let op):
      log("card removed while recording; the outcome will show", ["operation": op.name])
    case .idle, .refundEntry, .findingReceipt, .blockEntry, .checking, .confirm:
      break  // no card was needed here
    }
  }

}

import LoyaltyCore

/// Sales that wait for a card: one entered before the card was presented (any card may take
/// it), and a basket whose card was lifted or refused before it was recorded (only that card may).
/// One sale waits at a time, for `lateCardSeconds`; the idle screen shows it, C drops it.
extension CounterMachine {
  /// Whether `sale` still waits.
  func stillWaiting(_ sale: WaitingSale) -> Bool {
    now >= sale.at && now.seconds - sale.at.seconds <= settings.lateCardSeconds
  }

  /// The waiting sale, while it still waits.
  public var openSale: WaitingSale? { waitingSale.flatMap { stillWaiting($0) ? $0 : nil } }

  /// The waiting sale, offered once to `card` when it is for it.
  mutating func takeWaitingSale(for card: CardID) -> WaitingSale? {
    guard let sale = openSale, sale.card == nil || sale.card == card else { return nil }
    waitingSale = nil
    return sale
  }

  /// Keeps the lines of a basket whose card left before it was recorded, for that card.
  mutating func keepBasket(_ lines: [PurchaseLine], for card: CardID) -> Bool {
    guard !lines.isEmpty else { return false }
    waitingSale = WaitingSale(lines: lines, receipt: pendingReceipt, at: now, soldAt: nil, card: card)
    log("sale kept for its card", ["lines": "\(lines.count)", "card": card.masked])
    return true
  }

  /// A purchase not recorded (card lifted or another read, refused, timed out, declined) waits
  /// again when trying later may succeed: a sale entered before the card for any card, within its
  /// own five minutes; a card's basket for that card. Whether one was kept.
  @discardableResult
  mutating func putBack(_ operation: CounterOperation, failure: CounterFailure? = nil) -> Bool {
    guard case .purchase(let card, let lines, let receipt, _, let soldAt) = operation else { return false }
    if let failure, !failure.mayPassLater { return false }
    if let soldAt {
      waitingSale = WaitingSale(lines: lines, receipt: receipt, at: soldAt, soldAt: soldAt, card: nil)
      return openSale != nil
    }
    waitingSale = WaitingSale(lines: lines, receipt: receipt, at: now, soldAt: nil, card: card)
    return true
  }

  /// What the screen says of a sale `putBack` kept.
  func keptLines(_ operation: CounterOperation) -> [String] {
    if case .purchase(_, _, _, _, .some) = operation { return ["Sale kept for", "another card."] }
    return presented == nil ? ["Sale kept: tap the", "same card again."] : ["Sale kept: P=retry"]
  }

  /// Keeps a sale entered without a card for `lateCardSeconds`: the next card read is offered it.
  mutating func keepCardlessSale(_ lines: [PurchaseLine]) {
    // One sale waits at a time: a newer one replaces it, and the screen says so.
    let replaced = openSale.map {
      CounterScreens.fit("Earlier \(CounterScreens.bare($0.total, program)) dropped", or: "Earlier sale dropped")
    }
    waitingSale = WaitingSale(lines: lines, receipt: pendingReceipt, at: now, soldAt: now, card: nil)
    log("sale kept for a card", ["lines": "\(lines.count)", "receipt": pendingReceipt ?? "none"])
    effects.append(.signal(.success))
    go(
      .message(
        CounterMessage(
          kind: .receipt,
          lines: [
            "Sale kept. Tap the", "card within \(settings.lateCardSeconds / 60) min", "to add its points.",
            replaced ?? "",
          ])))
  }

  /// C on the idle screen while a sale waits: the customer has no card, or left.
  mutating func dropWaitingSale() {
    guard let sale = openSale else { return }
    waitingSale = nil
    log("waiting sale dropped", ["lines": "\(sale.lines.count)"])
    show(
      .cancelled, ["Waiting sale of", CounterScreens.money(sale.total, program), "dropped: no points", "were added."])
  }
}

import CardEmulation
import CounterFirmware
import LoyaltyCore
import ScenarioFormat

extension ScenarioRunner {
  /// Plays one event as a cashier would at that terminal's keypad; returns why it was refused.
  func play(_ action: Scenario.Action) async throws -> String? {
    switch action {
    case .enroll(let t, let card, let referrer):
      narrate("\(clock.now) \(t): new card \(card)\(referrer.map { ", referred by \($0)" } ?? "")")
      let refused = await withCard(card, at: t) { c in
        guard case .unknownCard = await c.firmware.state else {
          return await self.notReady(c, expected: "an unknown card to enrol")
        }
        if let referrer { await c.scan(referrer) }
        await c.press(.ok)
        await self.confirmAsked(c)
        return nil
      }
      // A referrer's card this counter does not know (enrolled elsewhere since its last sync, or
      // held by another region): the cashier enrols the card without it, as the screen offers.
      if referrer != nil, let refused, refused.contains("referrer") {
        narrate("\(clock.now) \(t): \(refused); enrolled without the referrer")
        return try await play(.enroll(terminal: t, card: card, referrer: nil))
      }
      return refused
    case .purchase(let t, let card, let receipt, let lines, let cardAfter?, _):
      narrate(
        "\(clock.now) \(t): sale without a card \(lines.map { "\($0.category) \($0.amount)" }.joined(separator: ", "))")
      let c = counter(t)
      await c.press(.purchase)
      await enter(lines, receipt: receipt, on: c)
      await c.press(.ok)  // the sale is kept for the card
      clock.set(clock.now.adding(seconds: cardAfter))
      narrate("\(clock.now) \(t): card presented \(cardAfter) s after payment")
      return await withCard(card, at: t) { c in
        switch await c.firmware.state {
        case .confirm(.purchase, _): break
        case .identified, .unknownCard:
          await c.press(.cancel)
          return "the sale was no longer offered (a sale waits \(cardAfter > 300 ? "5 minutes" : "for one card"))"
        default: return await self.notReady(c, expected: "the sale offered to the card")
        }
        await c.press(.ok)
        return nil
      }
    case .purchase(let t, let card, let receipt, let lines, nil, let lifted):
      narrate("\(clock.now) \(t): purchase \(lines.map { "\($0.category) \($0.amount)" }.joined(separator: ", "))")
      return await withCard(card, at: t) { c in
        switch await c.firmware.state {
        case .identified: break
        case .unknownCard: self.narrate("\(self.clock.now) \(t): card not known here: earns at the next sync")
        default: return await self.notReady(c, expected: "a card")
        }
        await c.press(.purchase)
        await self.enter(lines, receipt: receipt, on: c)
        await c.press(.ok)
        if let lifted, case .confirm = await c.firmware.state {
          return await self.liftAndTapAgain(card, after: lifted, at: t, on: c)
        }
        await self.confirmAsked(c)
        return nil
      }
    case .redeem(let t, let card, let item):
      narrate("\(clock.now) \(t): redeem \(item)")
      return await withCard(card, at: t) { c in
        guard case .identified = await c.firmware.state else { return await self.notReady(c, expected: "a known card") }
        let program = try? c.cache.program()
        guard let wanted = program?.item(item) else {
          await c.press(.cancel)
          return "no catalogue item \"\(item)\""
        }
        await c.press(.redeem)
        // The menu lists only what the balance pays for.
        guard case .redeemMenu(let view, _) = await c.firmware.state,
          let index = CounterMachine.affordable(view, in: program).firstIndex(where: { $0.id == item })
        else {
          let view = await c.firmware.state.cardholder
          await c.press(.cancel)
          return "the redeem menu does not offer \(wanted.name) (\(wanted.points) points): \(view?.available ?? 0) "
            + "available\(view.map { $0.pending > 0 ? ", \($0.pending) pending" : "" } ?? "")"
        }
        await c.press(.digit(index + 1))
        await self.confirmAsked(c)
        return nil
      }
    case .refund(let t, let receipt, let amount, let card?):
      narrate("\(clock.now) \(t): refund \(amount) of \(receipt), the customer's card \(card) tapped first")
      return await withCard(card, at: t) { c in
        guard case .identified = await c.firmware.state else { return await self.notReady(c, expected: "a known card") }
        await c.press(.refund)
        await c.scan(receipt)
        if case .refundEntry(.some, _) = await c.firmware.state {
          await c.type(amount)
          await c.press(.ok)
          await self.confirmAsked(c)
        }
        return nil
      }
    case .refund(let t, let receipt, let amount, nil):
      narrate("\(clock.now) \(t): refund \(amount) of \(receipt)")
      let c = counter(t)
      await c.press(.refund)
      await c.scan(receipt)
      if case .refundEntry(.some, _) = await c.firmware.state {
        await c.type(amount)
        await c.press(.ok)
        await confirmAsked(c)
      }
      onScreen(t, c.display.current)
      return await outcomeShown(c)
    case .block(let t, let card):
      narrate("\(clock.now) \(t): block \(card)")
      let c = counter(t)
      await c.press(.block)
      await c.scan(card)
      await c.press(.ok)
      await confirmAsked(c)
      onScreen(t, c.display.current)
      return await outcomeShown(c)
    case .sync(let terminals):
      narrate("\(clock.now) nightly sync: \(terminals.joined(separator: ", "))")
      try await sync(terminals)
      return nil
    case .expire:
      narrate("\(clock.now) HQ: expiry run")
      try expire()
      return nil
    case .crash(let t):
      narrate("\(clock.now) \(t): crash and restart")
      try crash(t)
      return nil
    }
  }

  /// Types a basket on the keypad: the receipt scanned first, then each line's category and amount.
  func enter(_ lines: [PurchaseLine], receipt: String?, on c: SimulatedCounter) async {
    if let receipt { await c.scan(receipt) }
    let categories = CounterFirmware.categories(of: try? c.cache.program())
    for line in lines {
      let index = categories.firstIndex(of: line.category) ?? categories.count - 1
      await c.press(.digit(index + 1))
      await c.type(line.amount)
      await c.press(.ok)
    }
  }

  /// Taps `card` at terminal `t`, runs `body` (which drives the keypad, or returns a refusal),
  /// reads the outcome off the firmware and takes the card away.
  func withCard(
    _ card: String, at t: String, _ body: @escaping (SimulatedCounter) async -> String?
  ) async -> String? {
    let c = counter(t)
    guard let emulated = CardKind.card(for: card) else {
      return "card \(card) is neither a 16-digit loyalty number nor a hex UID"
    }
    await c.tap(emulated)
    var reason = await body(c)
    if reason == nil { reason = await outcomeShown(c) }
    onScreen(t, c.display.current)
    await c.remove()
    await c.press(.ok)  // back to idle whatever is on the screen
    // A basket kept for this card (lifted or refused before it was recorded): the customer has
    // left, and the cashier drops it rather than offer it to their next visit.
    if await c.firmware.openSale?.card != nil {
      await c.press(.cancel, .ok)
    }
    return reason
  }

  /// The card lifted at the confirm screen and tapped again `seconds` later: within five minutes
  /// the basket is offered again and confirmed; after, it has expired (a refusal, nothing lost).
  func liftAndTapAgain(_ card: String, after seconds: Int64, at t: String, on c: SimulatedCounter) async -> String? {
    await c.remove()
    narrate("\(clock.now) \(t): card lifted before OK, tapped again \(seconds) s later")
    clock.set(clock.now.adding(seconds: seconds))
    await c.firmware.handle(.tick)  // the "card removed" message times out
    await c.firmware.handle(.tick)  // and a basket past its five minutes says it expired
    await c.press(.ok)
    guard let emulated = CardKind.card(for: card) else { return "card \(card) cannot be emulated" }
    await c.tap(emulated)
    guard case .confirm(.purchase, _) = await c.firmware.state else {
      let reason = await outcomeShown(c) ?? "the basket was not offered again"
      return seconds > c.firmware.settings.lateCardSeconds ? "the kept basket expired (\(seconds) s)" : reason
    }
    await c.press(.ok)
    return nil
  }

  /// OK on the confirm screen, when the check before it let the operation through (a refusal
  /// stays on the screen for `outcomeShown`).
  func confirmAsked(_ c: SimulatedCounter) async {
    if case .confirm = await c.firmware.state { await c.press(.ok) }
  }

  /// What the screen says: nil for a receipt, else the refusal.
  func outcomeShown(_ c: SimulatedCounter) async -> String? {
    switch await c.firmware.state {
    case .message(let m) where m.kind == .receipt: return nil
    case .message(let m): return m.reason ?? m.lines.filter { !$0.isEmpty }.joined(separator: " ")
    case let other:
      await c.press(.cancel)
      return "the counter stopped at \(other.name)"
    }
  }

  /// The tap did not lead where the event needs: say why (taking the card away cancels it).
  func notReady(_ c: SimulatedCounter, expected: String) async -> String {
    let state = await c.firmware.state
    let reason: String
    switch state {
    case .unknownCard(let card, _): reason = "card \(card) is not known at \(c.firmware.settings.terminal)"
    case .identified(let v): reason = "card \(v.card) is already enrolled"
    case .message(let m): reason = m.reason ?? m.lines.filter { !$0.isEmpty }.joined(separator: " ")
    default: reason = "expected \(expected), the counter is at \(state.name)"
    }
    return reason
  }
}

import CardIdentification
import LoyaltyCore

@testable import CounterFirmware

/// The counter's screens, driven through the state machine with representative inputs, in the
/// order a cashier meets them: the source of docs/screens.md.
struct ScreenCatalogue {
  typealias D = MachineDriver
  private(set) var sections: [(String, [(String, [String])])] = []
  private(set) var messages: [(String, CounterMessage)] = []

  var entries: [(String, [String])] { sections.flatMap(\.1) }

  /// Adds the driver's screen; a paged message adds every page.
  mutating func add(_ title: String, _ d: D) {
    guard case .message(let m) = d.state, m.pages > 1 else {
      sections[sections.count - 1].1.append((title, d.lines))
      if case .message(let m) = d.state { messages.append((title, m)) }
      return
    }
    messages.append((title, m))
    var copy = d
    for page in 0..<m.pages {
      sections[sections.count - 1].1.append(("\(title) (page \(page + 1) of \(m.pages))", copy.lines))
      copy.press(.ok)
    }
  }

  mutating func section(_ title: String) { sections.append((title, [])) }

  /// Where a refusal meets the cashier: after a purchase's confirm, at a redemption's or a
  /// refund's check, or at the receipt's look-up.
  enum Flow { case purchase, redeem, refund, receipt }

  static func refused(_ error: RuleError, in flow: Flow) -> D {
    var d = D()
    switch flow {
    case .purchase:
      d.basket()
      d.press(.ok)
      d.answerCheck(.success(D.earned(D.bob)))
      d.press(.ok)
      d.answerWrite(.failure(D.refusal(error)))
    case .redeem:
      d.tap(D.bob)
      d.answerLookUp(D.view(D.bob, balance: 5000))
      d.press(.redeem, .digit(1))
      d.answerCheck(.failure(D.refusal(error)))
    case .refund:
      d.press(.refund)
      d.send(.scan("R9"))
      d.send(.receiptFound("R9", .success(ReceiptStatus(id: "T01/R9", amount: 5000, refunded: 2000))))
      d.type("4000")
      d.press(.ok)
      d.answerCheck(.failure(D.refusal(error)))
    case .receipt:
      d.press(.refund)
      d.send(.scan("R9999"))
      d.send(.receiptFound("R9999", .failure(D.refusal(error))))
    }
    return d
  }

  static func build() -> ScreenCatalogue {
    var c = ScreenCatalogue()
    var d = D()
    c.section("Idle")
    c.add("Waiting for a card", d)
    d.send(.reader(online: false))
    c.add("The card reader is offline (service lost or unplugged)", d)
    d = D()
    d.press(.purchase, .digit(1))
    d.type("1250")
    d.press(.ok, .ok)
    c.add("A sale entered before the card: kept for it", d)
    d.press(.ok)
    c.add("Idle while the sale waits (any card may take it)", d)
    d.press(.cancel)
    c.add("C drops the waiting sale", d)
    d = D()
    d.basket()
    d.send(.cardRemoved)
    c.add("The card lifted mid-basket: the basket waits for it", d)
    d.press(.ok)
    c.add("Idle while a card's basket waits for it", d)
    d.wait(301)
    c.add("The waiting basket expired", d)
    d = D()
    d.basket()
    d.press(.ok)
    d.answerCheck(
      .failure(
        D.refusal(RuleError(.debounced, "again too soon", screenLines: ["Same card again in", "under 3 s: wait."]))))
    c.add("A purchase refused at the check, its card still on the reader", d)
    d.wait(8)
    c.add("Idle while the kept basket's card is still on the reader", d)
    d.send(.cardRemoved)
    d.tap(D.digitsUID)
    d.answerLookUp(D.view(D.digitsUID))
    c.add("Another card read while a card's basket waits", d)

    c.section("A card is read")
    d = D()
    d.tap(D.bob)
    c.add("Reading", d)
    d.answerLookUp(D.view(D.bob))
    c.add("A known card: balance, tier, the next tier by spend", d)
    d = D()
    d.tap(D.bob)
    d.answerLookUp(D.view(D.bob, next: NextTier(name: "Silver", spendNeeded: 38_750, visitsNeeded: 3)))
    c.add("The next tier by spend or by visits", d)
    d = D()
    d.tap(D.bob)
    d.answerLookUp(
      D.view(D.bob, balance: 400, pending: 250, next: NextTier(name: "Silver", spendNeeded: nil, visitsNeeded: 1)))
    c.add("Points pending (inside the return window)", d)
    d = D()
    d.tap(D.bob)
    var top = D.view(D.bob, tier: "Gold")
    top.nextTier = nil
    d.answerLookUp(top)
    c.add("The top tier", d)
    d = D()
    d.tap(D.digitsUID)
    d.answerLookUp(nil)
    c.add("A card this counter does not know (a UID of digits only)", d)
    d.send(.scan("R77"))
    c.add("A scanned code that is not a card", d)
    d.send(.scan(D.digitsUID.text))
    c.add("The card itself scanned as its referrer", d)
    d.send(.scan(D.bob.text))
    c.add("A referrer's card scanned", d)
    var blockedReferrer = d
    blockedReferrer.press(.ok)
    if let error = catching({
      _ = try Decisions.enroll(
        card: D.digitsUID.text, known: nil,
        referrer: (D.bob.text, CardFacts(card: D.bob.text, account: "acct-b", blocked: true)),
        context: OperationContext(terminal: "T01", operator: "c", at: D.start))
    }) {
      blockedReferrer.answerCheck(.failure(D.refusal(error)))
      c.add("A blocked referrer (OK: enrol without one)", blockedReferrer)
    }
    var enrolledBefore = d
    enrolledBefore.press(.ok)
    enrolledBefore.answerCheck(.failure(D.refusal(RuleError.enrolledHereBefore(card: D.digitsUID.text))))
    c.add("A card this counter enrolled before and no longer holds (a terminal in a region)", enrolledBefore)
    d.press(.ok)
    d.answerCheck(.success(.enrolled(account: "acct-x")))
    c.add("Enrolment to confirm", d)
    d.press(.ok)
    c.add("Recording", d)
    d.answerWrite(.success(.enrolled(account: "acct-x")))
    c.add("Enrolled, with its referrer; P sells to the card still on the reader", d)

    c.section("A purchase")
    d = D()
    d.tap(D.bob)
    d.answerLookUp(D.view(D.bob))
    d.press(.purchase)
    c.add("The categories", d)
    d.press(.digit(7))
    c.add("A category key with no category", d)
    d.press(.digit(1))
    d.type("12500")
    d.press(.clear)
    c.add("An amount typed (Backspace removed one digit)", d)
    d.press(.ok, .digit(2))
    d.type("3000")
    c.add("A second line", d)
    d.press(.ok)
    c.add("The basket", d)
    d.press(.ok)
    c.add("Checked by storage before the confirm", d)
    d.answerCheck(.success(D.earned(D.bob, points: 80)))
    c.add("The confirm: the points it earns", d)
    var back = d
    back.press(.cancel)
    c.add("C on the confirm: back to the basket", back)
    back.press(.clear)
    c.add("Backspace on the basket removes its last line", back)
    d.press(.ok)
    d.answerWrite(.success(D.earned(D.bob, points: 80, balance: 304)))
    c.add("The receipt (a short automatic receipt number)", d)
    d = D()
    d.basket()
    d.press(.ok)
    d.answerCheck(.success(D.earned(D.bob, bonus: 200)))
    c.add("A first purchase that pays the referral bonus", d)
    d.press(.ok)
    d.answerWrite(.success(D.earned(D.bob, balance: 474, bonus: 200)))
    c.add("Its receipt names the bonus", d)
    d = D()
    d.basket()
    d.press(.ok)
    d.answerCheck(.success(D.earned(D.bob)))
    d.press(.ok)
    d.answerWrite(.success(D.earned(D.bob, receipt: "T01/2026-11-16-TILL-000123456789")))
    c.add("A long receipt number from the till", d)
    for standAlone in [false, true] {
      d = D(standAlone: standAlone)
      d.basket(card: D.digitsUID, known: false)
      d.press(.ok)
      d.answerCheck(.success(D.earned(D.digitsUID, provisional: true)))
      let counter = standAlone ? "a stand-alone counter" : "a counter in a chain"
      c.add("An unknown card earns provisionally, at \(counter)", d)
      d.press(.ok)
      d.answerWrite(.success(D.earned(D.digitsUID, provisional: true)))
      c.add("Its receipt, at \(counter)", d)
    }
    d = D()
    d.press(.purchase, .digit(1))
    d.type("1250")
    d.press(.ok, .ok, .ok)
    d.tap(D.bob)
    d.answerLookUp(D.view(D.bob))
    d.answerCheck(.success(D.earned(D.bob)))
    c.add("A waiting sale offered to the card tapped", d)
    d.press(.cancel)
    c.add("Declined: the cardholder's own screen, the sale waits on", d)

    c.section("Redeem")
    d = D()
    d.tap(D.bob)
    d.answerLookUp(D.view(D.bob, balance: 224))
    d.press(.redeem)
    c.add("The menu: what the balance pays for, by name", d)
    d.press(.digit(1))
    d.answerCheck(.success(.redeemed(item: "coffee", points: 150, balance: 74)))
    c.add("The confirm", d)
    d.press(.ok)
    d.answerWrite(.success(.redeemed(item: "coffee", points: 150, balance: 74)))
    c.add("The receipt", d)
    d = D()
    d.tap(D.bob)
    d.answerLookUp(D.view(D.bob, balance: 80))
    d.press(.redeem)
    c.add("Nothing the balance pays for", d)

    c.section("Refund")
    d = D()
    d.press(.refund)
    c.add("Scan the receipt", d)
    d.send(.scan("R9"))
    c.add("Looking the receipt up", d)
    d.send(.receiptFound("R9", .success(ReceiptStatus(id: "T01/R9", amount: 5000, refunded: 2000))))
    d.type("1250")
    c.add("The receipt's amount, what is left, the refund typed", d)
    d.press(.ok)
    d.answerCheck(.success(.refunded(receipt: "T01/R9", reversed: 50, balance: 174)))
    c.add("The confirm: the points it takes back", d)
    d.press(.ok)
    d.answerWrite(.success(.refunded(receipt: "T01/R9", reversed: 50, balance: 174)))
    c.add("The receipt", d)
    // Another counter's receipt is found in its customer's account: the card first.
    d = D()
    d.tap(D.bob)
    d.answerLookUp(D.view(D.bob, balance: 224))
    d.press(.refund)
    c.add("Another counter's receipt: F on the cardholder's screen, then scan it", d)

    c.section("Block a lost card")
    d = D()
    d.press(.block)
    c.add("Tap or scan the card", d)
    d.send(.scan(D.bob.text))
    c.add("The card", d)
    d.press(.ok)
    d.answerCheck(.success(.blocked(card: D.bob)))
    c.add("The confirm", d)
    d.press(.ok)
    d.answerWrite(.success(.blocked(card: D.bob)))
    c.add("Blocked", d)

    c.section("Refusals and other messages")
    let program = D.program
    let refusals: [(String, RuleError?, Flow)] = [
      (
        "The hourly limit, after the confirm: the basket waits",
        catching { try CounterLimits.checkVelocity(earnsInTrailingHour: 5, card: D.bob.text, in: program) }, .purchase
      ),
      (
        "The chain-wide daily limit of earns on a card (limits.maxEarnsPerCardPerDay), after the confirm",
        catching {
          var bounded = program
          bounded.limits.maxEarnsPerCardPerDay = 10_000
          try CounterLimits.checkDailyEarns(earnsThatDay: 10_000, card: D.bob.text, day: D.start.day, in: bounded)
        }, .purchase
      ),
      (
        "Too few points for an item",
        catching {
          try CounterLimits.checkRedemption(
            item: program.catalogue[0], balance: 80, redeemedTodayHere: 0, card: D.bob.text, in: program)
        }, .redeem
      ),
      (
        "Points still pending",
        catching {
          try CounterLimits.checkRedemption(
            item: program.catalogue[0], balance: 80, pending: 250, redeemedTodayHere: 0, card: D.bob.text, in: program)
        }, .redeem
      ),
      (
        "The daily redemption cap",
        catching {
          try CounterLimits.checkRedemption(
            item: program.catalogue[0], balance: 5000, redeemedTodayHere: 1900, card: D.bob.text, in: program)
        }, .redeem
      ),
      (
        "A refund of more than is left",
        catching {
          _ = try Decisions.refund(
            receipt: "T01/R9",
            receipt: Receipt(
              account: "a", at: D.start.seconds - 86_400, amount: 5000, points: 200, refunded: 2000, reversed: 80),
            amount: 4000, earlierReversals: 1, program: program,
            context: OperationContext(terminal: "T01", operator: "c", at: D.start))
        }, .refund
      ),
      (
        "A refund past the program's refund window",
        catching {
          _ = try Decisions.refund(
            receipt: "T01/R9",
            receipt: Receipt(account: "a", at: 0, amount: 5000, points: 200, refunded: 0, reversed: 0),
            amount: 1000, earlierReversals: 0, program: program,
            context: OperationContext(terminal: "T01", operator: "c", at: D.start))
        }, .refund
      ),
      (
        "A receipt not known here",
        catching {
          _ = try Decisions.refund(
            receipt: "T01/R9999", receipt: nil, amount: 100, earlierReversals: 0, program: program,
            context: OperationContext(terminal: "T01", operator: "c", at: D.start))
        }, .receipt
      ),
      (
        "Another counter's receipt, scanned at idle", Decisions.unknownReceipt("T02/R9", foreign: true), .receipt
      ),
      (
        "Another counter's receipt, not in the account of the card tapped",
        Decisions.unknownReceipt("T02/R9", foreign: true, card: D.bob.text), .receipt
      ),
      (
        "A receipt refunded with a card whose account this counter does not hold",
        Decisions.receiptOfCardNotHeld("T02/R9", card: D.bob.text), .receipt
      ),
      (
        "A rule's message with no screen wording, wrapped and paged",
        RuleError(
          .wrongTerminal,
          "terminal T01 is not registered in the ledger this cache last synced with: HQ registers it "
            + "(ledger register-terminal), then sync, then record"), .purchase
      ),
    ]
    for (title, error, flow) in refusals {
      guard let error else { continue }
      c.add(title, refused(error, in: flow))
    }
    d = D()
    d.tap(D.bob)
    d.answerLookUp(D.view(D.bob))
    d.press(.purchase, .digit(1))
    d.type("1250")
    d.press(.ok, .ok)
    d.answerCheck(.success(D.earned(D.bob)))
    d.send(.cardRemoved)
    c.add("The card lifted at the confirm", d)
    d = D()
    d.tap(D.bob)
    d.answerLookUp(D.view(D.bob))
    d.press(.cancel)
    c.add("Cancelled", d)
    d = D()
    d.tap(D.bob)
    d.answerLookUp(D.view(D.bob))
    d.wait(60)
    c.add("Timed out", d)
    d = D()
    d.tap(D.bob)
    var blocked = D.view(D.bob)
    blocked.blocked = true
    d.answerLookUp(blocked)
    c.add("A blocked card", d)
    d = D()
    d.send(
      .tap(
        TapResult(
          reader: "R", atr: "", cardType: "unknown",
          outcome: .failure(CardIdentificationError(.noLoyaltyIdentity, "card offers no loyalty identity")),
          elapsed: .zero)))
    c.add("A card that cannot be read", d)
    return c
  }

  static func catching(_ body: () throws -> Void) -> RuleError? {
    do {
      try body()
      return nil
    } catch { return error as? RuleError }
  }

  /// The catalogue as Markdown: each screen in a box of 20 columns.
  var markdown: String {
    var out = """
      # The counter's screens

      Every screen of the counter's 4×20 display for representative inputs, generated by
      `Tests/CounterFirmwareTests/ScreensCatalogueTests.swift` from the state machine itself (storage's
      answers given by the test; the sample program `sim/program.json`). The test fails when a screen
      changes and this file does not: regenerate with `LOYALTY_UPDATE_SCREENS=1 swift test --filter
      ScreensCatalogue` and review the diff. Keys: digits, OK (Enter), C (Esc or c: cancel), <
      (Backspace: one digit), P purchase, R redeem, F refund, B block; a scanner reads receipts and
      card numbers.

      """
    for (title, screens) in sections {
      out += "\n## \(title)\n"
      for (name, lines) in screens {
        out += "\n\(name):\n\n```\n+" + String(repeating: "-", count: Screen.width) + "+\n"
        for line in lines {
          out += "|" + line + String(repeating: " ", count: max(0, Screen.width - line.count)) + "|\n"
        }
        out += "+" + String(repeating: "-", count: Screen.width) + "+\n```\n"
      }
    }
    return out
  }
}

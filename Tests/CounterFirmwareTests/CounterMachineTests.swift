import CardIdentification
import CardReader
import LoyaltyCore
import Testing

@testable import CounterFirmware

/// The cashier's flows on the pure state machine, storage's answers given by hand: what the
/// counter decides and shows, input by input (issue: a counter a cashier can work at all day).
@Suite("The counter's state machine, directly")
struct CounterMachineTests {
  typealias D = MachineDriver

  @Test func aUIDOfDigitsOnlyIsAUIDFromTheTapToTheEnrolment() {
    #expect(D.digitsUID.kind == .uid && D.digitsUID.text == "04673630627700")
    var d = D()
    d.tap(D.digitsUID)
    #expect(d.effects.contains(.identify(card: D.digitsUID, at: D.start)))
    d.answerLookUp(nil)
    #expect(d.lines[0] == "New card ****7700")
    d.press(.ok)
    guard case .checking(.enroll(let card, nil)) = d.state else {
      Issue.record("no enrolment checked: \(d.state.name)")
      return
    }
    #expect(card.kind == .uid, "the UID goes to storage as a UID, never re-parsed")
    #expect((try? Identities.validateCard(card.text)) != nil, "and the core takes it")
  }

  @Test func pOnTheWelcomeScreenSellsToTheNewCardStillOnTheReader() {
    var d = D()
    d.tap(D.digitsUID)
    d.answerLookUp(nil)
    d.press(.ok)
    d.answerCheck(.success(.enrolled(account: "acct-x")))
    d.press(.ok)
    d.answerWrite(.success(.enrolled(account: "acct-x")))
    #expect(d.lines == ["Welcome!", "Card enrolled", "", "P=buy for this card"])
    d.press(.purchase)
    #expect(d.effects.contains(.identify(card: D.digitsUID, at: D.start)), "read again: it is known now")
    d.answerLookUp(D.view(D.digitsUID, balance: 0))
    guard case .basket(.some(let v), [], nil, "") = d.state else {
      Issue.record("no basket for the card: \(d.state.name)")
      return
    }
    #expect(v.card == D.digitsUID.text && !v.provisional)
  }

  @Test func aWaitingSaleCanBeDroppedOnIdleAndExpiresWithAWord() {
    var d = D()
    d.press(.purchase, .digit(1))
    d.type("1250")
    d.press(.ok, .ok)
    #expect(d.lines[0] == "Sale kept. Tap the")
    d.press(.ok)
    #expect(d.lines == ["Sale 12.50 EUR", "Tap a card to add", "its points", "C=drop the sale"])
    d.press(.cancel)
    #expect(d.lines == ["Waiting sale of", "12.50 EUR", "dropped: no points", "were added."])
    #expect(d.machine.openSale == nil)

    d.press(.ok, .purchase, .digit(1))
    d.type("700")
    d.press(.ok, .ok, .ok)
    d.wait(301)
    #expect(d.lines == ["Waiting sale of", "7.00 EUR", "expired: no points", "were added."])
    #expect(d.machine.waitingSale == nil)
  }

  @Test func decliningAnOfferedSaleLeadsTheCardholderToTheirOwnScreen() {
    var d = D()
    d.press(.purchase, .digit(1))
    d.type("1250")
    d.press(.ok, .ok, .ok)
    d.now = d.now.adding(seconds: 30)
    d.tap(D.bob)
    d.answerLookUp(D.view(D.bob))
    d.answerCheck(.success(D.earned(D.bob)))
    #expect(d.lines == ["Add sale 12.50 EUR?", "+50 pts ****7895", "OK=add to this card", "C=not this card"])
    d.press(.cancel)
    guard case .identified = d.state else {
      Issue.record("not the cardholder's screen: \(d.state.name)")
      return
    }
    #expect(d.lines[3] == "Sale kept for other")
    #expect(d.machine.openSale?.card == nil, "the sale waits for another card")
    d.press(.redeem)
    #expect(d.state.name == "redeemMenu", "a customer who only wants to redeem does")
  }

  @Test func aRefusalAfterTheConfirmKeepsTheBasketForTheSameCard() throws {
    var d = D()
    d.basket()
    d.press(.ok)
    d.answerCheck(.success(D.earned(D.bob)))
    #expect(d.lines[1] == "+50 pts", "the points before OK")
    d.press(.ok)
    let velocity = D.refusal(
      try #require(throws: RuleError.self) {
        try CounterLimits.checkVelocity(earnsInTrailingHour: 5, card: D.bob.text, in: D.program)
      })
    d.answerWrite(.failure(velocity))
    #expect(d.lines == ["Refused", "Limit of 5 earns an", "hour reached here.", "Sale kept: P=retry"])
    #expect(d.machine.openSale?.card == D.bob)
    // Another card is not offered it; the same card's P (or next tap) is.
    d.press(.purchase)
    d.answerLookUp(D.view(D.bob))
    guard case .checking(.purchase(D.bob, let lines, _, false, nil)) = d.state else {
      Issue.record("the kept basket was not offered: \(d.state.name)")
      return
    }
    #expect(lines == [PurchaseLine(category: "fresh", amount: 1250)])
  }

  @Test func aCardLiftedMidBasketKeepsTheBasketForItsNextTap() {
    var d = D()
    d.basket()
    d.send(.cardRemoved)
    #expect(d.lines == ["Card removed", "Sale kept: tap the", "same card again.", ""])
    d.press(.ok)
    #expect(d.lines[1] == "for card ****7895:")
    d.tap(D.digitsUID)
    d.answerLookUp(D.view(D.digitsUID))
    #expect(d.state.name == "identified", "not offered to another card")
    d.send(.cardRemoved)
    d.press(.ok)
    d.tap(D.bob)
    d.answerLookUp(D.view(D.bob))
    #expect(d.state.name == "checking", "offered to its own card")
  }

  @Test func keysSayWhatTheyDo() {
    var d = D()
    d.tap(D.bob)
    d.answerLookUp(D.view(D.bob))
    d.press(.purchase, .digit(7))
    #expect(d.lines[3] == "No category 7")
    d.press(.digit(1))
    d.type("1250")
    d.press(.clear)
    #expect(d.lines[1] == "Amount 1.25 EUR", "Backspace removes one digit")
    #expect(d.lines[3] == "<=del OK=add C=drop", "and the screen names it")
  }

  @Test func theCardholderScreenShowsBothWaysToTheNextTier() {
    var d = D()
    d.tap(D.bob)
    d.answerLookUp(D.view(D.bob, next: NextTier(name: "Silver", spendNeeded: 38_750, visitsNeeded: 3)))
    #expect(d.lines == ["****7895 224 pts", "Bronze, Silver in:", "387.50 or 3 visits", "P=buy R=redeem C=end"])
  }

  @Test func theRedeemMenuListsByNameWhatTheBalancePays() {
    var d = D()
    d.tap(D.bob)
    d.answerLookUp(D.view(D.bob, balance: 224))
    d.press(.redeem)
    #expect(d.lines == ["Redeem: 224 pts", "1 Free coffee    150", "2 Food bank      100", "C=back"])
    d.press(.digit(3))
    #expect(d.state.name == "redeemMenu" && d.lines.last == "Pick 1-2")
    d.press(.digit(2))
    #expect(d.effects.contains { if case .check(.redeem(D.bob, "charity", 100), _) = $0 { true } else { false } })
  }

  @Test func theRefundScreenShowsTheReceiptAndWhatIsLeft() {
    var d = D()
    d.press(.refund)
    d.send(.scan("R9"))
    #expect(d.effects.contains(.findReceipt("R9", terminal: "T01")))
    d.send(.receiptFound("R9", .success(ReceiptStatus(id: "T01/R9", amount: 5000, refunded: 2000))))
    #expect(d.lines == ["Receipt T01/R9", "Left 30.00 of 50.00", "Refund 0.00 EUR", "<=del OK=next C=end"])
  }

  /// Another counter's receipt is found in its customer's account: Refund on the cardholder's
  /// screen starts a refund for that card, and the card goes with the look-up and the refund.
  @Test func aRefundFromTheCardholdersScreenFindsAnotherCountersReceiptThroughTheCard() {
    var d = D()
    d.tap(D.bob)
    d.answerLookUp(D.view(D.bob, balance: 224))
    d.press(.refund)
    #expect(d.lines == ["Refund for", "card \(D.bob.masked)", "Scan the receipt", "C=cancel"])
    d.send(.scan("T02/R9"))
    #expect(d.effects.contains(.findReceipt("T02/R9", terminal: "T01", card: D.bob)))
    d.send(
      .receiptFound("T02/R9", .success(ReceiptStatus(id: "T02/R9", amount: 5000, refunded: 0, card: D.bob))))
    d.type("1000")
    d.press(.ok)
    #expect(
      d.effects.contains { if case .check(.refund("T02/R9", 1000, D.bob), _) = $0 { true } else { false } },
      "the refund names the card its receipt was found through")
    // A refund started at idle names no card, even after a cardholder's screen.
    var e = D()
    e.tap(D.bob)
    e.answerLookUp(D.view(D.bob, balance: 224))
    e.press(.refund)
    e.press(.cancel)
    e.press(.refund)
    #expect(e.state.name == "refundEntry" && e.lines[0] == "Refund")
    e.send(.scan("T02/R9"))
    #expect(e.effects.contains(.findReceipt("T02/R9", terminal: "T01", card: nil)))
  }

  /// The cashier presses F first and the customer taps their card before the receipt is
  /// scanned: the refund is for that card. F on an unknown card's screen starts one for it too
  /// (storage may look its account up at HQ).
  @Test func aCardTappedDuringTheRefundAndFOnAnUnknownCardGoWithTheReceiptsLookUp() {
    var d = D()
    d.press(.refund)
    d.tap(D.bob)
    #expect(d.state.name == "refundEntry" && d.lines[1] == "card \(D.bob.masked)")
    d.send(.scan("T02/R9"))
    #expect(d.effects.contains(.findReceipt("T02/R9", terminal: "T01", card: D.bob)))
    var e = D()
    e.tap(D.digitsUID)
    e.answerLookUp(nil)
    e.press(.refund)
    #expect(e.lines[0] == "Refund for" && e.lines[1] == "card \(D.digitsUID.masked)")
    e.send(.scan("T02/R9"))
    #expect(e.effects.contains(.findReceipt("T02/R9", terminal: "T01", card: D.digitsUID)))
  }

  @Test func aStandAloneCounterPromisesNoSync() {
    for standAlone in [false, true] {
      var d = D(standAlone: standAlone)
      d.basket(card: D.digitsUID, known: false)
      d.press(.ok)
      d.answerCheck(.success(D.earned(D.digitsUID, provisional: true)))
      #expect(d.lines[2] == (standAlone ? "Kept on the card" : "Added at next sync"))
      d.press(.ok)
      d.answerWrite(.success(D.earned(D.digitsUID, provisional: true)))
      #expect(d.lines[1] == (standAlone ? "kept on the card" : "added at next sync"))
    }
  }

  /// A card the counter knows only from its own entries since its last sync (a terminal in a
  /// region, HQ out of reach) is asked as known, and the decision earns provisionally: the
  /// confirm screen says so, as the receipt will.
  @Test func theConfirmScreenSaysWhatTheDecisionDoesNotWhatWasAsked() {
    var d = D()
    d.basket(card: D.digitsUID, known: true)
    d.press(.ok)
    d.answerCheck(.success(D.earned(D.digitsUID, provisional: true)))
    #expect(d.lines[2] == "Added at next sync")
  }

  @Test func theReceiptNamesTheReferralBonus() {
    var d = D()
    d.basket()
    d.press(.ok)
    d.answerCheck(.success(D.earned(D.bob, bonus: 200)))
    #expect(d.lines[1] == "+50 pts +200 bonus")
    d.press(.ok)
    d.answerWrite(.success(D.earned(D.bob, balance: 474, bonus: 200)))
    #expect(d.lines == ["+50 points", "+200 referral bonus", "Balance 474 Bronze", "Receipt T01/A42"])
  }

  @Test func theIdleScreenSaysWhenTheReaderIsOffline() {
    var d = D()
    d.send(.reader(online: false))
    #expect(d.lines[1] == "Card reader offline")
    d.send(.reader(online: true))
    #expect(d.lines[2] == "  Tap your card")
  }

  @Test func aScannedCodeThatIsNoCardIsSaidAtOnce() {
    var d = D()
    d.tap(D.digitsUID)
    d.answerLookUp(nil)
    d.send(.scan("R77"))
    #expect(d.lines[3] == "Not a card number")
    d.send(.scan("uid:04a1b2c3d4e5f6"))
    #expect(d.lines[1] == "Referred by ****E5F6")
  }

  @Test func okAfterARefusalGoesBackToWhereTheCashierWas() {
    // A refund of more than is left: back to the amount of the same receipt.
    var d = D()
    d.press(.refund)
    d.send(.scan("R9"))
    let receipt = ReceiptStatus(id: "T01/R9", amount: 5000, refunded: 2000)
    d.send(.receiptFound("R9", .success(receipt)))
    d.type("4000")
    d.press(.ok)
    d.answerCheck(.failure(D.refusal(RuleError(.refundExceedsReceipt, "more than is left"))))
    d.press(.ok)
    guard case .refundEntry(receipt, "") = d.state else {
      Issue.record("not back at the receipt: \(d.state.name)")
      return
    }
    // A referrer refused: back to the new card, to enrol it without one.
    d = D()
    d.tap(D.digitsUID)
    d.answerLookUp(nil)
    d.send(.scan(D.bob.text))
    d.press(.ok)
    d.answerCheck(.failure(D.refusal(RuleError(.invalidReferrer, "the referrer's card is blocked"))))
    d.press(.ok)
    guard case .unknownCard(D.digitsUID, nil) = d.state else {
      Issue.record("not back at the new card: \(d.state.name)")
      return
    }
  }

  @Test func okOnAReceiptReadsTheCardAgain() {
    var d = D()
    d.basket()
    d.press(.ok)
    d.answerCheck(.success(D.earned(D.bob)))
    d.press(.ok)
    d.answerWrite(.success(D.earned(D.bob, balance: 274)))
    d.press(.ok)
    #expect(d.effects.contains(.identify(card: D.bob, at: D.start)), "the balance moved: read again")
    d.answerLookUp(D.view(D.bob, balance: 274))
    #expect(d.lines[0] == "****7895 274 pts")
  }

  @Test func aCardCannotBeScannedAsItsOwnReferrer() {
    var d = D()
    d.tap(D.digitsUID)
    d.answerLookUp(nil)
    d.send(.scan(D.digitsUID.text))
    #expect(d.lines[1] == "Scan referrer (opt)" && d.lines[3] == "Not the card itself")
  }

  @Test func cOnTheConfirmGoesBackToTheBasketAndBackspaceRemovesTheLastLine() {
    var d = D()
    d.basket()
    d.press(.digit(2))
    d.type("3000")
    d.press(.ok, .ok)
    d.answerCheck(.success(D.earned(D.bob)))
    d.press(.cancel)
    guard case .basket(_, let lines, nil, "") = d.state else {
      Issue.record("not back at the basket: \(d.state.name)")
      return
    }
    #expect(lines.count == 2 && d.lines[3] == "C again=cancel all")
    d.press(.clear)
    #expect(d.lines[0] == "1 line 12.50 EUR" && d.lines[3] == "Last line removed")
    d.press(.cancel)
    #expect(d.lines == ["Cancelled", "Nothing recorded", "", ""])
  }

  @Test func aReceiptScannedAtIdleStartsItsRefundAndACardMustBeTapped() {
    var d = D()
    d.send(.scan("R9"))
    #expect(d.effects.contains(.findReceipt("R9", terminal: "T01")))
    d = D()
    d.send(.scan(D.bob.text))
    #expect(d.state.name == "idle" && d.lines[3] == "Tap the card itself")
  }

  @Test func anAmountTakesAtMostSevenDigits() {
    var d = D()
    d.tap(D.bob)
    d.answerLookUp(D.view(D.bob))
    d.press(.purchase, .digit(1))
    d.type("999999999")
    #expect(d.lines[1] == "Amount 99999.99 EUR")
  }

  @Test func aKeptBasketIsNotForgotten() {
    var d = D()
    d.basket()
    d.press(.ok)
    d.answerCheck(.failure(D.refusal(RuleError(.debounced, "again too soon"))))
    d.wait(8)  // the refusal times out, the card still on the reader
    #expect(d.lines == ["Sale 12.50 EUR kept", "for this card:", "P=retry", "C=drop the sale"])
    d.send(.cardRemoved)
    d.tap(D.digitsUID)
    d.answerLookUp(D.view(D.digitsUID))
    #expect(d.lines[3] == "Sale waits: ****7895", "another cardholder's screen says it waits")
  }

  @Test func aLongRefusalIsPagedNeverCut() throws {
    var d = D()
    d.basket()
    d.press(.ok)
    let message =
      "terminal T01 is not registered in the ledger this cache last synced with: HQ registers it "
      + "(ledger register-terminal), then sync, then record"
    d.answerCheck(.failure(D.refusal(RuleError(.wrongTerminal, message))))
    guard case .message(let m) = d.state else { throw CounterTestError("no message") }
    var shown: [String] = []
    for page in 0..<m.pages {
      #expect(d.lines.allSatisfy { $0.count <= Screen.width })
      shown += d.lines.prefix(m.pages > 1 ? 3 : 4)
      if page + 1 < m.pages { #expect(d.lines[3].hasPrefix("OK=more")) }
      d.press(.ok)
    }
    #expect(shown.dropFirst().joined(separator: " ").split(separator: " ") == message.split(separator: " "))
    #expect(d.state.name == "identified", "OK on the last page: back to the cardholder, whose card is still there")
  }
}

struct CounterTestError: Error, CustomStringConvertible {
  var description: String
  init(_ description: String) { self.description = description }
}

/// The reader's availability as the run loop follows it from the reader events.
@Suite("Reader presence")
struct ReaderPresenceTests {
  @Test func offlineWhenTheServiceIsLostOrTheLastReaderUnplugged() {
    var presence = ReaderPresence(readers: ["A"])
    #expect(presence.online)
    #expect(presence.update(.readerAdded(reader: "B")) == nil, "no change")
    #expect(presence.update(.readerRemoved(reader: "A")) == nil, "B is still there")
    #expect(presence.update(.readerRemoved(reader: "B")) == false)
    #expect(presence.update(.readerAdded(reader: "B")) == true)
    #expect(presence.update(.serviceUnavailable(CardReaderError(.serviceUnavailable, "gone"))) == false)
    #expect(presence.update(.serviceRestored) == true)
    #expect(ReaderPresence(readers: []).online == false, "no reader at start: offline")
  }
}

import CardIdentification
import LoyaltyCore
import ScenarioFormat

/// Generates a chain's traffic, deterministically from a seed: opening hours, baskets,
/// categories, returns (at the shop or another), redemptions, lost cards, second cards, sales
/// entered before the card, counters offline for days, crashes, nightly syncs — and, with a
/// `FaultPlan`, the faults the swarm injects.
public struct ChainTraffic: Sendable {
  public var terminals: Int
  public var days: Int
  public var cardholders: Int
  public var seed: UInt64
  public var mix = Mix()
  public var faults = FaultPlan()
  /// Partial replicas: the counters in two regions whose members are held this many days (the
  /// last counter of three or more in none: it holds every account); nil: no regions.
  public var regionDays: Int?
  /// A chain of program format 2 (the tier from whole UTC days, a lot a day) with this tier
  /// window in days; nil: format 1.
  public var formatTwoWindow: Int?
  public static let start = UTCInstant(parsing: "2026-11-02T00:00:00Z")!

  /// How often each kind of traffic happens, in percent.
  public struct Mix: Sendable, Hashable {
    /// A counter is cut off from HQ for 1–3 nights (per counter and day).
    public var offline = 8
    /// A counter crashes and restarts (per counter and day).
    public var crash = 3
    /// A visit is at the cardholder's home counter (in tens of percent).
    public var home = 70
    /// A purchase is entered before the card is presented (the card comes within seconds).
    public var cardAfter = 0
    /// A purchase's card is lifted at the confirm screen and tapped again (seconds to minutes later).
    public var lifted = 0
    /// A refund is of another shop's receipt.
    public var crossShopRefund = 0
    /// Of the rare visits (2 %) that neither enrol, buy, redeem, refund nor block: the share that
    /// links a second card to the cardholder's account.
    public var link = 0
    /// HQ runs its expiry (per night).
    public var expiry = 0
    /// A new card is enrolled again at a second counter the same day, before any sync (the
    /// cardholder's second shop), naming a referrer of its own or none.
    public var doubleEnrol = 0
    /// Before a purchase, the cashier first tries to enrol the card (a card the counter does not
    /// know, or no longer holds: enrolled elsewhere, or out of the counter's region).
    public var enrolFirst = 0
    /// Before a purchase at a counter that HQ can reach, the cashier looks the card up at HQ first
    /// (`CardLookUp`: a cardholder of another region, or one enrolled at another shop since the
    /// counter's last sync, is then decided on in full).
    public var lookUp = 0
    /// Of the second cards linked: the share enrolled at another counter earlier the same day,
    /// before any sync (the cardholder tried the new card there first): the card is claimed twice,
    /// and `CardClaim` says where its points go; no counter's earns on it may be lost.
    public var claimRace = 0

    public init() {}
  }

  public init(terminals: Int, days: Int, cardholders: Int, seed: UInt64) {
    self.terminals = terminals
    self.days = days
    self.cardholders = cardholders
    self.seed = seed
  }

  /// A 16-digit loyalty number with a valid Luhn check digit.
  /// The `n`th synthetic loyalty number (628000, nine digits, the Luhn check digit): what the
  /// simulations and the benchmarks give their cardholders.
  public static func loyaltyNumber(_ n: Int) -> String {
    let body = "628000" + String(String(n).suffix(9)).leftPadded(to: 9)
    return body + String(LoyaltyNumber.checkDigit(for: body.utf8.map { $0 - 0x30 }))
  }

  public var names: [String] { (1...terminals).map { "T" + String($0).leftPadded(to: 2) } }

  /// The demo's program with the three catalogue items the traffic redeems (a coffee, a gift
  /// card, a donation), and the chain-wide bounds on, set above what the honest traffic does (a
  /// cardholder visits a few times a day at most; a referrer is named by a few cardholders): 50
  /// earns a card a UTC day, 20 referrer bonuses a referrer in any 30 days.
  public static let program = DemoDay.program.replacingOccurrences(
    of: #"[{"id": "coffee", "kind": "product", "points": 30, "name": "Free coffee"}]"#,
    with: #"[{"id": "coffee", "kind": "product", "points": 30, "name": "Free coffee"}, "#
      + #"{"id": "gift10", "kind": "giftCard", "points": 300, "name": "10 EUR gift card"}, "#
      + #"{"id": "charity", "kind": "donation", "points": 20, "name": "Food bank"}]"#
  )
  .replacingOccurrences(
    of: #""minFirstPurchase": 1000}"#,
    with: #""minFirstPurchase": 1000, "maxReferralsPerReferrer": 20, "periodDays": 30}"#
  )
  .replacingOccurrences(
    of: #""offlineRedeemPointsPerDay": 500}"#,
    with:
      #""offlineRedeemPointsPerDay": 500, "maxEarnsPerCardPerDay": 50}, "cardProof": {"unprovenRedeemPointsPerDay": 1000}"#
  )

  /// The regions of `regionDays`: the counters (all but the last of three or more) split in two.
  public var regions: [String: [String]] {
    guard regionDays != nil else { return [:] }
    let regional = names.count >= 3 ? Array(names.dropLast()) : names
    let half = max(1, regional.count / 2)
    return ["north": Array(regional.prefix(half)), "south": Array(regional.dropFirst(half))].filter {
      !$0.value.isEmpty
    }
  }

  /// The chain's program: `program`, with its regions when it has some, in format 2 when drawn so.
  public var programText: String {
    let program = formatTwoWindow.map { Self.formatTwo(Self.program, tierWindowDays: $0) } ?? Self.program
    guard let days = regionDays else { return program }
    let shops = regions.sorted { $0.key < $1.key }.map { name, terminals in
      "\"\(name)\": [" + terminals.map { "\"\($0)\"" }.joined(separator: ", ") + "]"
    }
    return program.replacingOccurrences(
      of: "\"expiryDays\": 365,",
      with: "\"expiryDays\": 365, \"regions\": {\"days\": \(days), \"shops\": {\(shops.joined(separator: ", "))}},")
  }

  /// `program` (of the demo's shape) in format 2, with a tier window of `tierWindowDays` and
  /// purchases under 15.00 no visits: short enough that a run's days cross the window's edge.
  public static func formatTwo(_ program: String, tierWindowDays: Int) -> String {
    program.replacingOccurrences(
      of: "\"tierWindowDays\": 365,",
      with: "\"format\": 2, \"tierWindowDays\": \(tierWindowDays), \"minVisitAmount\": 1500,")
  }

  /// The counter traffic alone, as a scenario (what `sim chain` plays without faults).
  public func scenario() -> Scenario {
    Scenario(
      program: programText, terminals: names,
      events: events().compactMap { e in
        guard case .counter(let action) = e.action else { return nil }
        return Scenario.Event(at: e.at, action: action)
      })
  }

  /// Every event in time order: the day's traffic, then the night's HQ acts and faults, then the sync.
  public func events() -> [ChainEvent] {
    var rng = SplitMix64(seed: seed)
    let names = self.names
    // Each cardholder: a current card and a home counter; a lost card is replaced by a new one.
    var cards = (0..<cardholders).map { i in
      i % 3 == 0 ? loyaltyNumberCard(i) : uidCard(i, generation: 0)
    }
    let home = (0..<cardholders).map { _ in names[Int(rng.next() % UInt64(names.count))] }
    var enrolled = Set<String>()
    var receipts: [String: [(receipt: String, amount: Int64, who: Int)]] = [:]
    var offlineUntil: [String: Int] = [:]
    var events: [ChainEvent] = []
    let categories = ["fresh", "fuel", "tobacco", "other"]
    let items = ["coffee", "coffee", "gift10", "charity"]
    var receiptCounter = 0
    let schedule = faults.schedule(terminals: names, days: days, seed: seed)
    for day in 0..<days {
      let dayStart = Self.start.adding(days: day)
      var today: [ChainEvent] = []
      func counterEvent(_ seconds: Int64, _ action: Scenario.Action) {
        today.append(.init(at: dayStart.adding(seconds: seconds), action: .counter(action)))
      }
      for t in names where offlineUntil[t, default: -1] < day && rng.next() % 100 < mix.offline {
        offlineUntil[t] = day + 1 + Int(rng.next() % 3)  // cut off from HQ for 1–3 nights
      }
      // A revoked counter is out of service until HQ registers it again: no traffic, no sync.
      let closed = schedule.closed(on: day)
      let open = names.filter { !closed.contains($0) }
      let visits = open.isEmpty ? 0 : max(1, cardholders / 3)
      for _ in 0..<visits {
        let who = Int(rng.next() % UInt64(cardholders))
        let counter =
          rng.next() % 10 < UInt64(mix.home / 10) && open.contains(home[who])
          ? home[who] : open[Int(rng.next() % UInt64(open.count))]
        let at = 8 * 3600 + Int64(rng.next() % (12 * 3600))
        let card = cards[who]
        let roll = rng.next() % 100
        if !enrolled.contains(card) {
          enrolled.insert(card)
          let referrer = who > 0 && rng.next() % 4 == 0 ? cards[Int(rng.next() % UInt64(who))] : nil
          counterEvent(at, .enroll(terminal: counter, card: card, referrer: referrer))
          if mix.doubleEnrol > 0, names.count > 1, rng.next() % 100 < mix.doubleEnrol {
            let other = names[
              (names.firstIndex(of: counter)! + 1 + Int(rng.next() % UInt64(names.count - 1))) % names.count]
            let second = who > 0 && rng.next() % 2 == 0 ? cards[Int(rng.next() % UInt64(who))] : nil
            if !closed.contains(other) {
              counterEvent(at + 600, .enroll(terminal: other, card: card, referrer: second))
            }
          }
        } else if roll < 78 {
          receiptCounter += 1
          let receipt = "\(counter)-\(receiptCounter)"
          let lines = (0...(rng.next() % 3)).map { _ in
            PurchaseLine(
              category: categories[Int(rng.next() % UInt64(categories.count))], amount: 100 + Int64(rng.next() % 15_000)
            )
          }
          receipts[counter, default: []].append((receipt, lines.reduce(0) { $0 + $1.amount }, who))
          if mix.lookUp > 0, offlineUntil[counter, default: -1] <= day, rng.next() % 100 < mix.lookUp {
            today.append(.init(at: dayStart.adding(seconds: at - 30), action: .lookUp(terminal: counter, card: card)))
          }
          if mix.enrolFirst > 0, rng.next() % 100 < mix.enrolFirst {
            counterEvent(at - 20, .enroll(terminal: counter, card: card, referrer: nil))
          }
          let cardAfter: Int64? =
            mix.cardAfter > 0 && rng.next() % 100 < mix.cardAfter ? 5 + Int64(rng.next() % 120) : nil
          let lifted: Int64? =
            cardAfter == nil && mix.lifted > 0 && rng.next() % 100 < mix.lifted ? 1 + Int64(rng.next() % 400) : nil
          counterEvent(
            at,
            .purchase(
              terminal: counter, card: card, receipt: receipt, lines: lines, cardAfter: cardAfter, lifted: lifted))
        } else if roll < 88 {
          counterEvent(at, .redeem(terminal: counter, card: card, item: items[Int(rng.next() % UInt64(items.count))]))
        } else if roll < 97,
          case let seller =
            mix.crossShopRefund > 0 && rng.next() % 100 < mix.crossShopRefund
            ? names[Int(rng.next() % UInt64(names.count))] : counter,
          let sold = receipts[seller]?.randomElement(using: &rng)
        {
          let amount = 1 + Int64(rng.next() % UInt64(sold.amount))
          // Another counter's receipt is found through its customer's card, tapped first (their
          // card now: a blocked one's successor holds another account, and the refund is refused);
          // one in ten cashiers forgets, and is asked for it. At a region's counter that may not
          // hold the account, the tap looks it up at HQ.
          let foreign = seller != counter
          let tapped = foreign && rng.next() % 10 > 0 ? cards[sold.who] : nil
          if tapped != nil, mix.lookUp > 0, offlineUntil[counter, default: -1] <= day {
            today.append(
              .init(at: dayStart.adding(seconds: at - 30), action: .lookUp(terminal: counter, card: cards[sold.who])))
          }
          // Another till's receipt is named as the chain names it (`T02/T02-7`).
          counterEvent(
            at,
            .refund(
              terminal: counter, receipt: foreign ? "\(seller)/\(sold.receipt)" : sold.receipt, amount: amount,
              card: tapped))
        } else if roll < 98 {
          // A lost card: blocked at the counter; the cardholder starts again with a new one.
          counterEvent(at, .block(terminal: counter, card: card))
          cards[who] = uidCard(who, generation: day + 1)
        } else if mix.link > 0, rng.next() % 100 < mix.link {
          // A second card, linked to the account at the counter; the cardholder uses it from now on.
          let second = uidCard(who, generation: 1_000 + day)
          guard !enrolled.contains(second) else { continue }
          enrolled.insert(second)
          if mix.claimRace > 0, rng.next() % 100 < mix.claimRace,
            let other = open.filter({ $0 != counter }).randomElement(using: &rng)
          {
            counterEvent(max(1, at - 900), .enroll(terminal: other, card: second, referrer: nil))
          }
          today.append(
            .init(at: dayStart.adding(seconds: at), action: .link(terminal: counter, card: second, to: card)))
          cards[who] = second
        }
      }
      for t in open where rng.next() % 100 < mix.crash {
        counterEvent(8 * 3600 + Int64(rng.next() % (12 * 3600)), .crash(terminal: t))
      }
      if mix.expiry > 0, rng.next() % 100 < mix.expiry { counterEvent(22 * 3600, .expire) }
      today += schedule.events(on: day, dayStart: dayStart)
      events += today.sorted { $0.at < $1.at }
      let unsynced = schedule.unsynced(on: day)
      let online = names.filter { !unsynced.contains($0) && offlineUntil[$0, default: -1] <= day }
      if !online.isEmpty {
        events.append(.init(at: dayStart.adding(seconds: 23 * 3600), action: .counter(.sync(online))))
      }
    }
    return events
  }

  func loyaltyNumberCard(_ i: Int) -> String { Self.loyaltyNumber(1_000 + i) }
  func uidCard(_ i: Int, generation: Int) -> String {
    "04"
      // Masked to 40 bits as a whole (`&` binds like `&*` in Swift: without the parentheses the
      // mask took the generation's term only, and a large i gave an id too long for a UID).
      + String((UInt64(i) &* 2_654_435_761 &+ UInt64(generation) &* 97) & 0xFF_FFFF_FFFF, radix: 16, uppercase: true)
      .leftPadded(to: 10)
      + String(generation % 256, radix: 16, uppercase: true).leftPadded(to: 2)
  }
}

extension String {
  func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}

import CardIdentification
import LoyaltyCore
import ScenarioFormat

/// Generates a chain's traffic as a scenario, deterministically from a seed: opening hours,
/// baskets, categories, returns, redemptions, lost cards, terminals offline for days, crashes
/// and nightly syncs.
public struct ChainTraffic {
  public var terminals: Int
  public var days: Int
  public var cardholders: Int
  public var seed: UInt64
  public static let start = UTCInstant(parsing: "2026-11-02T00:00:00Z")!

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

  public func scenario() -> Scenario {
    var rng = SplitMix64(seed: seed)
    let names = (1...terminals).map { "T" + String($0).leftPadded(to: 2) }
    // Each cardholder: a current card and a home counter; a lost card is replaced by a new one.
    var cards = (0..<cardholders).map { i in
      i % 3 == 0 ? loyaltyNumberCard(i) : uidCard(i, generation: 0)
    }
    let home = (0..<cardholders).map { _ in names[Int(rng.next() % UInt64(names.count))] }
    var enrolled = Set<String>()
    var receipts: [String: [(receipt: String, amount: Int64)]] = [:]
    var offlineUntil: [String: Int] = [:]
    var events: [Scenario.Event] = []
    let categories = ["fresh", "fuel", "tobacco", "other"]
    let items = ["coffee", "coffee", "gift10", "charity"]
    var receiptCounter = 0
    for day in 0..<days {
      let dayStart = Self.start.adding(days: day)
      var today: [Scenario.Event] = []
      for t in names where offlineUntil[t, default: -1] < day && rng.next() % 100 < 8 {
        offlineUntil[t] = day + 1 + Int(rng.next() % 3)  // cut off from HQ for 1–3 nights
      }
      let visits = max(1, cardholders / 3)
      for _ in 0..<visits {
        let who = Int(rng.next() % UInt64(cardholders))
        let counter = rng.next() % 10 < 7 ? home[who] : names[Int(rng.next() % UInt64(names.count))]
        let at = dayStart.adding(seconds: 8 * 3600 + Int64(rng.next() % (12 * 3600)))
        let card = cards[who]
        let roll = rng.next() % 100
        if !enrolled.contains(card) {
          enrolled.insert(card)
          let referrer = who > 0 && rng.next() % 4 == 0 ? cards[Int(rng.next() % UInt64(who))] : nil
          today.append(.init(at: at, action: .enroll(terminal: counter, card: card, referrer: referrer)))
        } else if roll < 78 {
          receiptCounter += 1
          let receipt = "\(counter)-\(receiptCounter)"
          let lines = (0...(rng.next() % 3)).map { _ in
            PurchaseLine(
              category: categories[Int(rng.next() % UInt64(categories.count))], amount: 100 + Int64(rng.next() % 15_000)
            )
          }
          receipts[counter, default: []].append((receipt, lines.reduce(0) { $0 + $1.amount }))
          today.append(.init(at: at, action: .purchase(terminal: counter, card: card, receipt: receipt, lines: lines)))
        } else if roll < 88 {
          today.append(
            .init(
              at: at, action: .redeem(terminal: counter, card: card, item: items[Int(rng.next() % UInt64(items.count))])
            ))
        } else if roll < 97, let sold = receipts[counter]?.randomElement(using: &rng) {
          today.append(
            .init(
              at: at,
              action: .refund(
                terminal: counter, receipt: sold.receipt, amount: 1 + Int64(rng.next() % UInt64(sold.amount)))))
        } else if roll < 98 {
          // A lost card: blocked at the counter; the cardholder starts again with a new one.
          today.append(.init(at: at, action: .block(terminal: counter, card: card)))
          cards[who] = uidCard(who, generation: day + 1)
        }
      }
      for t in names where rng.next() % 100 < 3 {
        today.append(
          .init(at: dayStart.adding(seconds: 8 * 3600 + Int64(rng.next() % (12 * 3600))), action: .crash(terminal: t)))
      }
      events += today.sorted { $0.at < $1.at }
      let online = names.filter { offlineUntil[$0, default: -1] <= day }
      if !online.isEmpty { events.append(.init(at: dayStart.adding(seconds: 23 * 3600), action: .sync(online))) }
    }
    return Scenario(program: DemoDay.program, terminals: names, events: events)
  }

  func loyaltyNumberCard(_ i: Int) -> String { Self.loyaltyNumber(1_000 + i) }
  func uidCard(_ i: Int, generation: Int) -> String {
    "04"
      + String(UInt64(i) &* 2_654_435_761 &+ UInt64(generation) &* 97 & 0xFF_FFFF_FFFF, radix: 16, uppercase: true)
      .leftPadded(to: 10)
      + String(generation % 256, radix: 16, uppercase: true).leftPadded(to: 2)
  }
}

extension String {
  func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}

/// A small, fast, seedable generator (the same sequence on every machine).

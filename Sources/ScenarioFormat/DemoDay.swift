import Foundation
import ScenarioFormat

/// The demo's shop: its program and a day at its two counters, built in so `loyalty-terminal
/// demo` runs anywhere with nothing to set up.
public enum DemoDay {
  /// A small program: 1 point per euro, fresh food double, a referral bonus, a coffee reward.
  public static let program = """
    {"version": 1, "currency": "EUR", "minorUnits": 2,
     "earn": {"pointsPerUnit": "1", "categories": {"fresh": "2", "tobacco": "0"}},
     "promotions": [],
     "tiers": [{"name": "Member", "multiplier": "1"},
               {"name": "Regular", "minSpend": 10000, "minVisits": 3, "multiplier": "1.5"}],
     "tierWindowDays": 365,
     "referral": {"referrerPoints": 50, "refereePoints": 25, "minFirstPurchase": 1000},
     "expiryDays": 365,
     "catalogue": [{"id": "coffee", "kind": "product", "points": 30, "name": "Free coffee"}],
     "limits": {"debounceSeconds": 3, "maxEarnsPerCardPerHour": 5, "offlineRedeemPointsPerDay": 500}}
    """

  public static let alice = "04A1B2C3D4E5F6"
  public static let bob = "6280001234567895"
  public static let carol = "04C0FFEE112233"

  /// The day, as a scenario: counter C1 online, counter C2 cut off from HQ until the night.
  public static let scenario = """
    {"program": \(program), "terminals": ["C1", "C2"],
     "events": [
      {"at": "2026-11-02T08:05:00Z", "terminal": "C1", "card": "\(alice)", "enroll": {"referrer": null}},
      {"at": "2026-11-02T08:06:00Z", "terminal": "C1", "card": "\(alice)",
       "purchase": {"receipt": "C1-0001", "lines": [{"category": "fresh", "amount": 1890}, {"category": "other", "amount": 1200}]}},
      {"at": "2026-11-02T09:40:00Z", "terminal": "C1", "card": "\(bob)", "enroll": {"referrer": "\(alice)"}},
      {"at": "2026-11-02T09:41:00Z", "terminal": "C1", "card": "\(bob)",
       "purchase": {"receipt": "C1-0002", "lines": [{"category": "fresh", "amount": 3200}]}},
      {"at": "2026-11-02T11:15:00Z", "terminal": "C2", "card": "\(alice)",
       "purchase": {"receipt": "C2-0001", "lines": [{"category": "other", "amount": 500}]}},
      {"at": "2026-11-02T11:20:00Z", "terminal": "C2", "card": "\(carol)", "enroll": {"referrer": null}},
      {"at": "2026-11-02T11:21:00Z", "terminal": "C2", "card": "\(carol)",
       "purchase": {"receipt": "C2-0002", "cardAfterSeconds": 90,
                    "lines": [{"category": "fresh", "amount": 2450}, {"category": "tobacco", "amount": 900}]}},
      {"at": "2026-11-02T13:00:00Z", "terminal": "C1", "card": "\(alice)", "redeem": "coffee"},
      {"at": "2026-11-02T15:30:00Z", "terminal": "C1", "refund": {"receipt": "C1-0002", "amount": 1600}},
      {"at": "2026-11-02T22:00:00Z", "sync": ["C1", "C2"]},
      {"at": "2026-11-03T08:30:00Z", "terminal": "C2", "card": "\(alice)",
       "purchase": {"receipt": "C2-0003", "lines": [{"category": "fresh", "amount": 1000}]}}
     ]}
    """

  /// What the narrator says before each event (same order as the events).
  public static let story = [
    "Alice taps a new card at counter C1; the cashier enrols her.",
    "Alice buys groceries: fresh food earns double.",
    "Bob joins at C1, referred by Alice.",
    "Bob's first purchase is big enough for the referral bonus.",
    "Counter C2 has been cut off from HQ since opening and has never seen Alice's card: the cashier "
      + "presses P=buy anyway; her points are kept on her card's account and reach her balance at the next sync.",
    "C2 keeps working offline for new customers: Carol enrols…",
    "…buys fresh food and tobacco (tobacco earns nothing), and finds her card only after paying: the "
      + "cashier entered the sale without a card, and her tap within 5 minutes adds it.",
    "Back at C1, Alice spends 30 points on a coffee.",
    "Bob returns half of his fresh food: the points follow the refund exactly.",
    "Night: both counters sync with the ledger at HQ (C2 is reachable again).",
    "Next morning C2 knows Alice, with yesterday's points from C2 in her balance.",
  ]

  public static func load() throws -> Scenario {
    try Scenario.parse(Data(scenario.utf8)) { _ in nil }
  }
}

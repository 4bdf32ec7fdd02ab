import Foundation
import HQBackOffice
import LedgerFormat
import LedgerStore
import LoyaltyCore
import TestSupport
import Testing

/// What `ledger notify` announces, against a real local endpoint: one `pointsExpiringSoon` per
/// account per run (all its lots), nothing about an account without a card, and a provisional
/// earn named on its cardholder's account with that balance.
@Suite("HQ's notifications, per cardholder")
struct GroupedNotifyTests {
  let fresh = [PurchaseLine(category: "fresh", amount: 3_000)]

  func events(_ endpoint: WebhookEndpoint) throws -> [NotificationEvent] {
    try endpoint.received.map { try JSONDecoder().decode(NotificationEvent.self, from: Data($0.body.utf8)) }
  }

  /// The reference events name `account` by: keyed by the secret the first run created.
  func reference(of account: String, _ f: ChainFixture) throws -> String {
    let path = CustomerReferences.defaultPath(ledger: f.ledger.path)
    return try CustomerReferences.load(from: path, create: false).references.reference(of: account)
  }

  /// Two earns ten days apart on one card, and a provisional earn on a card nobody enrolled: a year
  /// on, one expiry event with both lots, one inactive, and nothing for the cardless account.
  @Test func oneExpiryEventPerAccountAndNoneForAnAccountWithoutACard() async throws {
    let f = try ChainFixture(terminals: 2)
    for t in f.terminals { try await f.sync(t, at: ChainFixture.start.adding(seconds: 60)) }
    let (card, stranger) = (ChainFixture.cards[0], ChainFixture.cards[1])
    let t1 = try f.cache("T01")
    _ = try t1.enroll(card: card, referrer: nil, context: f.context("T01", 0))
    let first = try t1.earn(card: card, lines: fresh, receipt: "R1", context: f.context("T01", 60))
    let second = try t1.earn(card: card, lines: fresh, receipt: "R2", context: f.context("T01", 86_400 * 10))
    _ = try f.cache("T02").earn(
      card: stranger, lines: fresh, receipt: "R9", provisional: true, context: f.context("T02", 120))
    try await f.sync("T01", at: ChainFixture.start.adding(days: 11))
    try await f.sync("T02", at: ChainFixture.start.adding(days: 11).adding(seconds: 60))

    let endpoint = try await WebhookEndpoint(directory: f.directory, failFirst: 0)
    defer { endpoint.stop() }
    let run = try NotifyTests().notify(f, endpoint.url, asOf: ChainFixture.start.adding(days: 360))
    #expect(run.status == 0, "\(run.output)\(run.errors)")
    #expect(run.output.contains("delivered 2 pointsEarned, 1 pointsExpiringSoon, 1 inactive"), "\(run.output)")
    let received = try events(endpoint)
    let account = Identities.accountID(enrolledWith: card)
    let expiring = try #require(received.first { $0.type == .pointsExpiringSoon })
    #expect(expiring.customer == (try reference(of: account, f)) && expiring.points == first.points + second.points)
    // No account id in any event (from it, the card's number can be found): references only.
    #expect(!endpoint.received.contains { $0.body.contains("acct-") }, "\(endpoint.received.map(\.body))")
    #expect(expiring.id.contains(expiring.customer))
    // HQ's customer service finds the account from the reference an event names.
    let lookup = try runToCompletion(
      BuiltProducts.loyaltyHQ,
      ["ledger", "account", "--customer", expiring.customer, "--ledger", f.ledger.path, "--json"])
    #expect(lookup.status == 0 && lookup.output.contains(account), "\(lookup.output)\(lookup.errors)")
    #expect(expiring.lots?.map(\.points) == [first.points, second.points])
    #expect(expiring.at == expiring.lots?.first?.expiresAt && expiring.at < (expiring.lots?.last?.expiresAt ?? ""))
    let cardless = Identities.accountID(enrolledWith: stranger)
    #expect(!received.contains { $0.customer == (try? reference(of: cardless, f)) }, "\(received)")
    #expect(!endpoint.received.contains { $0.body.contains(String(stranger.suffix(4))) })
  }

  /// A card linked at T01 to an existing account earns provisionally at T02 (on the card's own
  /// account), and HQ settles the points to the cardholder: the event names the cardholder's
  /// account and real balance, and says the points were provisional — never "30, balance 0".
  @Test func aProvisionalEarnIsAnnouncedOnTheCardholdersAccount() async throws {
    let f = try ChainFixture(terminals: 2)
    for t in f.terminals { try await f.sync(t, at: ChainFixture.start.adding(seconds: 60)) }
    let (card, old) = (ChainFixture.cards[0], ChainFixture.cards[1])
    let t1 = try f.cache("T01")
    _ = try t1.enroll(card: old, referrer: nil, context: f.context("T01", 0))
    _ = try t1.earn(card: old, lines: fresh, receipt: "R1", context: f.context("T01", 30))
    _ = try t1.link(card: card, to: old, context: f.context("T01", 60))
    let earned = try f.cache("T02").earn(
      card: card, lines: fresh, receipt: "R2", provisional: true, context: f.context("T02", 120))
    let day2 = ChainFixture.start.adding(days: 2)
    try await f.sync("T01", at: day2)
    try await f.sync("T02", at: day2.adding(seconds: 60))
    let settled = try f.settleProvisional(at: day2.adding(seconds: 3_600))
    #expect(settled.status == 0, "\(settled.output)\(settled.errors)")
    let owner = Identities.accountID(enrolledWith: old)
    let balance = try #require(LedgerFold.fold(path: f.ledger.path).0.accounts[owner]?.balance)

    let endpoint = try await WebhookEndpoint(directory: f.directory, failFirst: 0)
    defer { endpoint.stop() }
    let run = try NotifyTests().notify(f, endpoint.url, asOf: day2.adding(seconds: 7_200))
    #expect(run.status == 0 && run.output.contains("delivered 2 pointsEarned"), "\(run.output)\(run.errors)")
    let announced = try events(endpoint)
    let event = try #require(announced.first { $0.receipt?.hasSuffix("R2") == true }, "\(announced)")
    let ownerReference = try reference(of: owner, f)
    #expect(event.customer == ownerReference && event.points == earned.points && event.provisional == true)
    #expect(event.balance == balance && balance >= earned.points, "\(event)")
    #expect(event.cardLast4 == String(card.suffix(4)))
    let plain = try #require(announced.first { $0.receipt?.hasSuffix("R1") == true })
    #expect(plain.provisional == nil && plain.customer == ownerReference && plain.balance == balance)
  }
}

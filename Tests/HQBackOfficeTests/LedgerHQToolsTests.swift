import Foundation
import HQBackOffice
import LedgerFormat
import LedgerStore
import LoyaltyCore
import NightlySync
import PointsCache
import TestSupport
import Testing

@Suite("HQ tools on a synced ledger: balances, adjust, expire, exports")
struct LedgerHQToolsTests {
  /// A ledger with three terminals' earns, redemptions and a refund, all synced.
  func busyLedger() async throws -> ChainFixture {
    let f = try ChainFixture(terminals: 3)
    for t in f.terminals { try await f.sync(t, at: ChainFixture.start.adding(seconds: 60)) }
    for (i, t) in f.terminals.enumerated() {
      let cache = try f.cache(t)
      for n in 0..<4 {
        let card = ChainFixture.cards[i * 4 + n]
        _ = try cache.enroll(card: card, referrer: nil, context: f.context(t, Int64(n * 10)))
        _ = try cache.earn(
          card: card, lines: [PurchaseLine(category: n % 2 == 0 ? "fresh" : "fuel", amount: 20_000 + Int64(n * 333))],
          receipt: "\(t)-R\(n)", context: f.context(t, Int64(n * 10 + 5)))
      }
      _ = try cache.redeem(card: ChainFixture.cards[i * 4], item: "coffee", context: f.context(t, 600))
      _ = try cache.refund(receipt: "\(t)-R1", amount: 5_000, context: f.context(t, 700))
    }
    for t in f.terminals + f.terminals { try await f.sync(t, at: ChainFixture.start.adding(days: 2)) }
    return f
  }

  static let toolsInstalled = ["/usr/bin/hledger", "/usr/bin/bean-check"].allSatisfy {
    FileManager.default.isExecutableFile(atPath: $0)
  }

  func runTool(_ path: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
    let (status, output, errors) = try runToCompletion(path, arguments)
    return (status, output + errors)
  }

  /// Per-shop books: every point of every balance in exactly one shop's cell, so they balance
  /// against the ledger's totals; a T01 customer's redemption at T02 is a flow between the shops.
  @Test func perShopBooksBalanceAgainstTheLedgerAndShowTheFlowsBetweenShops() async throws {
    let f = try await busyLedger()
    // A customer T01 enrolled spends at T02, on the third day after the fixture's start.
    _ = try f.cache("T02").redeem(
      card: ChainFixture.cards[2], item: "coffee", context: f.context("T02", 2 * 86_400 + 60))
    try await f.sync("T02", at: ChainFixture.start.adding(days: 3))
    let r = try LedgerReport.build(path: f.ledger.path, from: nil, until: nil, asOf: nil)
    #expect(r.books.total.net == r.balancesTotal && r.balancesTotal > 0, "\(r.books.total) vs \(r.balancesTotal)")
    #expect(r.books.shops.values.reduce(0) { $0 + $1.net } == r.books.total.net)
    for (shop, days) in r.books.days {
      #expect(days.values.reduce(0) { $0 + $1.net } == r.books.shops[shop]?.net, "\(shop)'s days add up")
    }
    #expect(Set(r.books.shops.keys) == ["T01", "T02", "T03"])
    #expect(r.books.shops["T01"].map { $0.issued > 0 && $0.redeemed == -150 && $0.reversed < 0 } == true)
    #expect(r.books.flows == ["T02": ["T01": 150]], "\(r.books.flows)")
    // The period's books count only the period: the day of the cross-shop redemption.
    let day3 = try LedgerReport.build(
      path: f.ledger.path, from: ChainFixture.start.adding(days: 3), until: ChainFixture.start.adding(days: 4),
      asOf: nil)
    #expect(day3.books.total.net == -150 && day3.books.shops.keys.sorted() == ["T02"])
    // As the operator reads it.
    let run = try runTool(
      BuiltProducts.loyaltyHQ, ["ledger", "report", "--ledger", f.ledger.path])
    #expect(run.status == 0, "\(run.output)")
    #expect(run.output.contains("the books' net equals the sum of the ledger's balances (\(r.balancesTotal))"))
    #expect(run.output.contains("at T02, of T01's customers: 150 points"), "\(run.output)")
  }

  @Test func balancesEqualEveryTerminalsCache() async throws {
    let f = try await busyLedger()
    let (fold, summary) = try LedgerFold.fold(path: f.ledger.path)
    #expect(summary.terminals.count == 3)
    let ledgerBalances = Dictionary(uniqueKeysWithValues: fold.balances.map { ($0.account, $0.balance) })
    #expect(ledgerBalances.count == 12)
    for t in f.terminals { #expect(try f.balances(t) == ledgerBalances, "\(t)") }
  }

  @Test(.enabled(if: toolsInstalled, "hledger/beancount not installed: run the README's test command"))
  func exportsAreAcceptedByHledgerAndBeanCheckWithTheSameBalances() async throws {
    let f = try await busyLedger()
    let (fold, _) = try LedgerFold.fold(path: f.ledger.path)
    let journal = f.directory.appendingPathComponent("points.journal").path
    try LedgerExport.export(path: f.ledger.path, format: .hledger).write(
      toFile: journal, atomically: true, encoding: .utf8)
    let text = try String(contentsOfFile: journal, encoding: .utf8)
    #expect(text.contains(" redeem Free coffee  ; id:redeem-"), "a redemption reads as its item's name")
    #expect(
      text.contains("    income:loyalty:redemptions:T01  -150 PTS"), "a redemption debits the liability, at its shop")
    let hledger = try runTool(
      "/usr/bin/hledger", ["-f", journal, "bal", "liabilities:points:customers", "--flat", "-N"])
    #expect(hledger.status == 0, "\(hledger.output)")
    var fromHledger: [String: Int64] = [:]
    for line in hledger.output.split(separator: "\n") {
      let parts = line.split(separator: " ", omittingEmptySubsequences: true)
      if parts.count == 3, parts[1] == "PTS", let v = Int64(parts[0]) {
        // A liability: what the customers are owed is a credit (negative).
        fromHledger[String(parts[2].dropFirst("liabilities:points:customers:".count))] = -v
      }
    }
    let nonZero = Dictionary(
      uniqueKeysWithValues: fold.balances.filter { $0.balance != 0 }.map { ($0.account, $0.balance) })
    #expect(fromHledger == nonZero)

    let bean = f.directory.appendingPathComponent("points.beancount").path
    try LedgerExport.export(path: f.ledger.path, format: .beancount).write(
      toFile: bean, atomically: true, encoding: .utf8)
    let check = try runTool("/usr/bin/bean-check", [bean])
    #expect(check.status == 0, "\(check.output)")
    if FileManager.default.isExecutableFile(atPath: "/usr/bin/bean-query") {
      let query = try runTool(
        "/usr/bin/bean-query", [bean, "SELECT account, sum(number) WHERE account ~ 'Customers' GROUP BY account"])
      var fromBean: [String: Int64] = [:]
      for line in query.output.split(separator: "\n") {
        let parts = line.split(separator: " ", omittingEmptySubsequences: true)
        if parts.count == 2, parts[0].hasPrefix("Liabilities:"), let v = Int64(parts[1]) {
          fromBean["a" + parts[0].dropFirst("Liabilities:Points:Customers:A".count)] = -v
        }
      }
      #expect(fromBean.filter { $0.value != 0 } == nonZero, "\(query.output)")
    }
  }

  /// The report says money in the program's currency.
  @Test func reportSaysMoneyInTheCurrency() async throws {
    let f = try await busyLedger()
    let r = try LedgerReport.build(path: f.ledger.path, from: nil, until: nil, asOf: nil)
    #expect(r.currency == "EUR" && r.minorUnits == 2)
    #expect(r.money(20_333) == "203.33 EUR")
    #expect(r.refusedRecords.isEmpty && r.refusedAtAdmissionRecords.isEmpty)
  }

  /// With `pendingDays`, balances say what is still pending, and the exports post a purchase's
  /// points to the account's pending part until its return window closes (a refund inside it
  /// takes them from there).
  @Test func pendingPointsInBalancesAndExports() async throws {
    let f = try ChainFixture(terminals: 1)
    try f.publishProgram(pendingDays: 14)
    try await f.sync("T01", at: ChainFixture.start.adding(seconds: 60))
    let cache = try f.cache("T01")
    let card = ChainFixture.cards[0]
    _ = try cache.enroll(card: card, referrer: nil, context: f.context("T01", 0))
    let earned = try cache.earn(
      card: card, lines: [PurchaseLine(category: "other", amount: 10_000)], receipt: "R1", context: f.context("T01", 60)
    )
    let reversed = try cache.refund(receipt: "R1", amount: 5_000, context: f.context("T01", 3600)).reversed
    try await f.sync("T01", at: ChainFixture.start.adding(days: 2))
    let account = Identities.accountID(enrolledWith: card)
    let (fold, _) = try LedgerFold.fold(path: f.ledger.path)
    let left = earned.points - reversed
    let inside = ChainFixture.start.adding(days: 3)
    let after = ChainFixture.start.adding(days: 16)
    #expect(
      fold.balances(at: inside).first { $0.account == account }.map { [$0.balance, $0.pending] } == [left, left])
    #expect(fold.balances(at: after).first { $0.account == account }?.pending == 0)
    let during = try LedgerExport.export(path: f.ledger.path, format: .hledger, asOf: inside)
    #expect(during.contains("liabilities:points:customers:\(account):pending  -\(earned.points) PTS"), "a credit")
    #expect(
      during.contains("liabilities:points:customers:\(account):pending  \(reversed) PTS"),
      "the refund inside the window")
    #expect(
      during.contains("expenses:loyalty:points:T01  \(earned.points) PTS"), "charged to the shop that issued them")
    #expect(!during.contains("return window closed"))
    let closed = try LedgerExport.export(path: f.ledger.path, format: .hledger, asOf: after)
    #expect(closed.contains("return window closed T01/R1"))
    #expect(closed.contains("    liabilities:points:customers:\(account)  -\(left) PTS"))
    guard Self.toolsInstalled else { return }
    for (text, pending) in [(during, left), (closed, 0)] {
      let journal = f.directory.appendingPathComponent("pending.journal").path
      try text.write(toFile: journal, atomically: true, encoding: .utf8)
      let total = try runTool(
        "/usr/bin/hledger", ["-f", journal, "bal", "liabilities:points:customers", "-N", "--flat"])
      #expect(
        total.output.contains("-\(pending) PTS  liabilities:points:customers:\(account):pending") || pending == 0,
        "\(total.output)")
      let bean = f.directory.appendingPathComponent("pending.beancount").path
      try LedgerExport.export(path: f.ledger.path, format: .beancount, asOf: pending == 0 ? after : inside).write(
        toFile: bean, atomically: true, encoding: .utf8)
      let check = try runTool("/usr/bin/bean-check", [bean])
      #expect(check.status == 0, "\(check.output)")
    }
  }

  @Test func expiryUsesTheLotsAndReachesTheTerminals() async throws {
    let f = try await busyLedger()
    let (before, _) = try LedgerFold.fold(path: f.ledger.path)
    let asOf = ChainFixture.start.adding(days: 1 + 365).adding(seconds: 20)  // the first two earns of each terminal expire
    let expired = before.accounts.keys.sorted().compactMap { id -> LedgerEntry? in
      let points = before.accounts[id]!.lots.expiring(asOf: asOf)
      return points > 0
        ? LedgerEntry(
          kind: .expiry, id: "expiry-\(id)-\(asOf.seconds)", at: asOf, terminal: "HQ", account: id, points: -points)
        : nil
    }
    #expect(expired.count == 6)
    try f.ledger.append(expired, signer: "HQ", key: f.hq, at: asOf)
    let (after, _) = try LedgerFold.fold(path: f.ledger.path)
    #expect(after.accounts.values.allSatisfy { $0.lots.expiring(asOf: asOf) == 0 }, "expiring twice finds nothing")
    for t in f.terminals { try await f.sync(t, at: asOf.adding(seconds: 60)) }
    let ledgerBalances = Dictionary(uniqueKeysWithValues: after.balances.map { ($0.account, $0.balance) })
    for t in f.terminals { #expect(try f.balances(t) == ledgerBalances) }
  }
}

@Suite("Conflicts are explicit")
struct ConflictTests {
  @Test func offlineRedemptionsAtTwoTerminalsOverdrawAndAreReported() async throws {
    let f = try ChainFixture(terminals: 2)
    for t in f.terminals { try await f.sync(t, at: ChainFixture.start.adding(seconds: 60)) }
    let card = ChainFixture.cards[0]
    let t1 = try f.cache("T01")
    _ = try t1.enroll(card: card, referrer: nil, context: f.context("T01", 0))
    _ = try t1.earn(
      card: card, lines: [PurchaseLine(category: "other", amount: 20_000)], receipt: "R1", context: f.context("T01", 10)
    )
    try await f.sync("T01", at: ChainFixture.start.adding(days: 2))
    try await f.sync("T02", at: ChainFixture.start.adding(days: 2).adding(seconds: 10))
    // Both counters know 200 points; offline, each hands over a 150-point coffee.
    for t in f.terminals {
      _ = try f.cache(t).redeem(
        card: card, item: "coffee",
        context: OperationContext(terminal: t, operator: "test", at: ChainFixture.start.adding(days: 3)))
    }
    let first = try await f.sync("T01", at: ChainFixture.start.adding(days: 3).adding(seconds: 3600))
    #expect(first.conflicts.isEmpty)
    let second = try await f.sync("T02", at: ChainFixture.start.adding(days: 3).adding(seconds: 3700))
    let account = Identities.accountID(enrolledWith: card)
    #expect(second.conflicts == ["account \(account) is overdrawn: balance -100"])
    let report = try LedgerReport.build(path: f.ledger.path, from: nil, until: nil, asOf: nil)
    #expect(report.overdrawn == [account: -100], "both redemptions are kept: the goods were handed over")
    #expect(report.pointsLiability == 0 && report.orders == 1 && report.uniqueCustomers == 1)
    #expect(report.lifetimeSpend[account] == 20_000)
  }
}

@Suite("Snapshots")
struct SnapshotTests {
  @Test func aNewTerminalStartsFromTheSnapshotAndTheTail() async throws {
    let f = try ChainFixture(terminals: 3)
    for t in ["T01", "T02"] { try await f.sync(t, at: ChainFixture.start.adding(seconds: 60)) }
    for (i, t) in ["T01", "T02"].enumerated() {
      try await f.sync(t, at: ChainFixture.start.adding(days: 1).adding(seconds: Int64(i)))  // learn the referrer
      let cache = try f.cache(t)
      let card = ChainFixture.cards[i]
      _ = try cache.enroll(
        card: card, referrer: i == 1 ? ChainFixture.cards[0] : nil, context: f.context(t, Int64(i * 100)))
      _ = try cache.earn(
        card: card, lines: [PurchaseLine(category: "fresh", amount: 30_000)], receipt: "\(t)-R",
        context: f.context(t, Int64(i * 100 + 50)))
      try await f.sync(t, at: ChainFixture.start.adding(days: 2).adding(seconds: Int64(i)))
    }
    try await f.sync("T01", at: ChainFixture.start.adding(days: 2).adding(seconds: 10))
    let snapshot = try LedgerSnapshot.make(path: f.ledger.path, hqKey: f.hq)
    // More happens after the snapshot.
    let t1 = try f.cache("T01")
    _ = try t1.refund(
      receipt: "T02/T02-R", amount: 10_000, card: ChainFixture.cards[1], context: f.context("T01", 5_000))
    try await f.sync("T01", at: ChainFixture.start.adding(days: 3))

    let sync = NightlySync(
      cache: try f.cache("T03"), connection: LocalLedgerConnection(ledger: f.ledger), terminal: "T03",
      key: try LedgerKey.load(from: f.keyPath("T03")))
    try await sync.bootstrap(from: snapshot, at: ChainFixture.start.adding(days: 4))
    let summary = try await sync.run(at: ChainFixture.start.adding(days: 4))
    #expect(summary.received == 1, "only the account changed after the snapshot is brought")
    #expect(try f.balances("T03") == f.balances("T01"))
    #expect(try f.cache("T03").consistencyProblems().isEmpty)
    // The refunded receipt came through the snapshot; T03 can refund the rest of it.
    _ = try f.cache("T03").refund(
      receipt: "T02/T02-R", amount: 20_000, card: ChainFixture.cards[1],
      context: .init(terminal: "T03", operator: "test", at: ChainFixture.start.adding(days: 4).adding(seconds: 60)))
  }

  @Test func aTamperedSnapshotIsRefused() async throws {
    let f = try ChainFixture(terminals: 2)
    try await f.sync("T01", at: ChainFixture.start.adding(seconds: 60))
    let cache = try f.cache("T01")
    _ = try cache.enroll(card: ChainFixture.cards[0], referrer: nil, context: f.context("T01", 0))
    _ = try cache.earn(
      card: ChainFixture.cards[0], lines: [PurchaseLine(category: "other", amount: 5_000)], receipt: "R",
      context: f.context("T01", 10))
    try await f.sync("T01", at: ChainFixture.start.adding(days: 2))
    var snapshot = try LedgerSnapshot.make(path: f.ledger.path, hqKey: f.hq)
    snapshot.accounts[0].lots[0][2] += 1_000_000
    let sync = NightlySync(
      cache: try f.cache("T02"), connection: LocalLedgerConnection(ledger: f.ledger), terminal: "T02",
      key: try LedgerKey.load(from: f.keyPath("T02")))
    await #expect(throws: LedgerError.self) {
      try await sync.bootstrap(from: snapshot, at: ChainFixture.start.adding(days: 3))
    }
    #expect(try f.cache("T02").syncCheckpoint() == nil, "nothing was loaded")
  }
}

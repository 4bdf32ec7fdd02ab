import Crypto
import Foundation
import LedgerFormat
import LoyaltyCore
import PointsCache
import TestSupport
import Testing

/// Spending or taking over another shop's customer whose card signs: the attacker's counter
/// refuses without the card, and when the attacker strips the card's key from its own cache and
/// records anyway, HQ's audit refuses both at the night's sync.
extension AttackTableTests {
  /// Over HQ's file, and over `loyalty-hq serve` (the attacker's sync a child process either way).
  @Test(arguments: [false, true])
  func anotherShopsSigningCustomerCannotBeSpentOrLinkedWithoutTheCard(viaService: Bool) async throws {
    let chain = try await AttackedChain()
    let f = chain.f
    // Bob is T02's customer; his card signs (its public key recorded at his enrolment).
    let bob = ChainFixture.cards[2]
    let bobAccount = Identities.accountID(enrolledWith: bob)
    let key = try CardProof.publicKeyText(Array(P256.Signing.PrivateKey().publicKey.x963Representation))
    let t2 = try f.cache("T02")
    let day = ChainFixture.start.adding(days: 1)
    _ = try t2.enroll(card: bob, referrer: nil, cardKey: key, context: .init(terminal: "T02", operator: "c", at: day))
    _ = try t2.earn(
      card: bob, lines: [PurchaseLine(category: "fresh", amount: 4_000)], receipt: "R200",
      context: .init(terminal: "T02", operator: "c", at: day.adding(seconds: 60)))
    try await f.sync("T02", at: day.adding(seconds: 5000))
    try await f.sync("T01", at: day.adding(seconds: 5100))

    // At the attacker's counter, with no card on the reader: refused, nothing recorded.
    let t1 = try f.cache("T01")
    let at = day.adding(seconds: 6000)
    let redeem = #expect(throws: RuleError.self) {
      try t1.redeem(card: bob, item: "coffee", context: .init(terminal: "T01", operator: "x", at: at))
    }
    #expect(redeem?.message.contains("has a card that signs") == true, "\(String(describing: redeem))")
    let takeover = ChainFixture.cards[3]
    let link = #expect(throws: RuleError.self) {
      try t1.link(card: takeover, to: bob, context: .init(terminal: "T01", operator: "x", at: at))
    }
    #expect(link?.message.contains("a link needs the signature") == true, "\(String(describing: link))")

    // The attacker forgets the card's key in its own cache and records both anyway.
    try chain.stripCardKey(of: bob)
    let spent = try f.cache("T01").redeem(
      card: bob, item: "coffee", context: .init(terminal: "T01", operator: "x", at: at.adding(seconds: 1)))
    #expect(spent.points == 150, "the stripped counter recorded the redemption")
    _ = try f.cache("T01").link(
      card: takeover, to: bob, context: .init(terminal: "T01", operator: "x", at: at.adding(seconds: 2)))
    let status: Int32
    if viaService {
      let hq = try await HQServiceProcess(
        ledger: f.ledger.path, hqKey: f.directory.appendingPathComponent("hq.key").path)
      defer { _ = hq.stop() }
      let run = try f.syncChild("T01", hq.url, at: AttackedChain.day2)
      status = run.status
      #expect(status == 3, "\(run.output)\(run.errors)")
    } else {
      status = try chain.syncChild("T01", at: AttackedChain.day2).status
    }
    #expect(status == 3, "synced, with the redemption and the link refused by HQ (exit 3)")
    let reasons = try f.cache("T01").refusedByHQ()
    #expect(reasons.count == 2 && reasons.allSatisfy { $0.reason.contains("has a card that signs") }, "\(reasons)")
    let (fold, _) = try LedgerFold.fold(path: f.ledger.path)
    #expect(fold.accounts[bobAccount]?.balance == 160, "Bob's points are intact")
    #expect(fold.accounts[bobAccount]?.cards == [bob], "and his account is his card's alone")
    try chain.expectNothingMintedAndEveryoneSyncs("a signing customer spent and linked without the card")
  }

  /// Bob loses his signing card: no counter can link a new one without it, so HQ's customer desk
  /// does (`ledger link`), with the new card's key; every counter learns it, and the new card's
  /// account is still spent only with a card's signature. A card that already belongs to an
  /// account is refused, and a dry run appends nothing.
  @Test func hqsCustomerDeskLinksALostSigningCardsReplacement() async throws {
    let chain = try await AttackedChain()
    let f = chain.f
    let (bob, replacement) = (ChainFixture.cards[2], ChainFixture.cards[3])
    let day = ChainFixture.start.adding(days: 1)
    let key = try CardProof.publicKeyText(Array(P256.Signing.PrivateKey().publicKey.x963Representation))
    _ = try f.cache("T02").enroll(
      card: bob, referrer: nil, cardKey: key, context: .init(terminal: "T02", operator: "c", at: day))
    _ = try f.cache("T02").earn(
      card: bob, lines: [PurchaseLine(category: "fresh", amount: 4_000)], receipt: "R200",
      context: .init(terminal: "T02", operator: "c", at: day.adding(seconds: 60)))
    try await f.sync("T02", at: day.adding(seconds: 5000))
    let newKey = try CardProof.publicKeyText(Array(P256.Signing.PrivateKey().publicKey.x963Representation))
    func link(_ arguments: [String]) throws -> (status: Int32, output: String, errors: String) {
      try runToCompletion(
        BuiltProducts.loyaltyHQ,
        ["ledger", "link"] + arguments + [
          "--ledger", f.ledger.path, "--hq-key", f.directory.appendingPathComponent("hq.key").path, "--at",
          day.adding(seconds: 6000).description,
        ])
    }
    let before = try Data(contentsOf: URL(fileURLWithPath: f.ledger.path))
    let dry = try link([replacement, "--to", bob, "--card-key", newKey, "--dry-run"])
    #expect(dry.status == 0 && dry.output.contains("dry run"), "\(dry.output)\(dry.errors)")
    #expect(try Data(contentsOf: URL(fileURLWithPath: f.ledger.path)) == before)
    let taken = try link([chain.victimCard, "--to", bob])
    #expect(taken.status != 0 && taken.errors.contains("already belongs"), "\(taken.errors)")
    let linked = try link([replacement, "--to", bob, "--card-key", newKey])
    #expect(linked.status == 0 && linked.output.contains("linked card"), "\(linked.output)\(linked.errors)")
    // T01 learns it: the replacement is Bob's, it signs, and without its signature nothing is spent.
    try await f.sync("T01", at: day.adding(seconds: 7000))
    let t1 = try f.cache("T01")
    #expect(
      try t1.identify(card: replacement, at: day.adding(seconds: 7100)).account
        == Identities.accountID(
          enrolledWith: bob))
    let unsigned = #expect(throws: RuleError.self) {
      try t1.redeem(
        card: replacement, item: "charity",
        context: .init(terminal: "T01", operator: "x", at: day.adding(seconds: 7200)))
    }
    #expect(unsigned?.reason == .cardProof, "\(String(describing: unsigned))")
  }
}

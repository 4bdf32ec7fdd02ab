import ArgumentParser
import Foundation
import HQBackOffice
import LedgerFormat
import LedgerStore
import LoyaltyCLISupport
import LoyaltyCore

/// `loyalty-hq ledger account (--card CARD | --account ACCT) --ledger FILE`: customer service
/// at HQ — the account's cards, tier, balance (available and pending), the way to the next tier,
/// and its history, newest last. Read-only, without the writers' lock.
struct LedgerAccountCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "account",
    abstract: "Show an account (by a card or its id): cards, tier, balance, available and pending, history.")

  @Option(help: ArgumentHelp("A card of the account. " + CardArgument.help), transform: CardArgument.parse)
  var card: String?

  @Option(help: "The account id (acct-…).")
  var account: String?

  @Option(
    help: "The customer reference a webhook event names (cust-…), read with HQ's customer reference key.")
  var customer: String?

  @Option(help: "HQ's customer reference key (default: LEDGER.customer-key).")
  var customerKey: String?

  @OptionGroup var file: LedgerFileOption
  var ledger: String { file.ledger }

  @Option(help: "As of this time (UTC): the tier and what is pending; default now.")
  var at: UTCInstant?

  @Flag(help: "Print JSON.")
  var json = false

  func validate() throws {
    guard [card, account, customer].compactMap({ $0 }).count == 1 else {
      throw ValidationError("give one of --card CARD, --account ACCT or --customer REF")
    }
    if let customer, !customer.hasPrefix("cust-") {
      throw ValidationError("--customer must be a customer reference (cust-…) as a webhook event names it")
    }
    if let account, !account.hasPrefix("acct-") {
      throw ValidationError("--account must be an account id (acct-…); for a card, give --card \(account)")
    }
  }

  func run() throws {
    try reportLedger(json: json) {
      let id = try accountID()
      guard let found = try LedgerAccountLookup.find(account: id, path: ledger) else {
        throw CommandFailure(
          reason: "unknownAccount",
          message:
            "account \(id) is not in the ledger \(ledger) (find a card's account with `ledger account --card CARD`)")
      }
      guard let program = found.program else {
        throw CommandFailure(
          reason: "noProgram", message: "\(ledger) has no program published: publish one with `ledger publish-program`")
      }
      let t = at ?? .wallClock
      let a = found.account
      let view = a.view(card: card ?? found.cards.first ?? "", cards: found.cards, at: t, program: program)
      return (text(found, view, program, at: t), object(found, view, at: t))
    }
  }

  /// The account asked for, or the one the card belongs to.
  func accountID() throws -> String {
    if let customer {
      let keyPath = customerKey ?? CustomerReferences.defaultPath(ledger: ledger)
      let references = try CustomerReferences.load(from: keyPath, create: false).references
      let (fold, _) = try LedgerFold.fold(path: ledger)
      guard let id = fold.accounts.keys.first(where: { references.reference(of: $0) == customer }) else {
        throw CommandFailure(
          reason: "unknownAccount", message: "no account of \(ledger) has the customer reference \(customer)")
      }
      return id
    }
    guard let card else { return account ?? "" }
    try Identities.validateCard(card)
    guard let owner = try LedgerAccountLookup.owner(of: card, path: ledger).account else {
      throw CommandFailure(
        reason: "unknownCard", message: "card \(card) is not in the ledger \(ledger) (no enrolment, link or purchase)")
    }
    return owner
  }

  func text(_ found: LedgerAccountLookup, _ v: CardholderView, _ program: LoyaltyProgram, at t: UTCInstant) -> String {
    let a = found.account
    let pending = v.pending > 0 ? " (\(v.available) available, \(v.pending) pending)" : ""
    var text = "account \(a.id): balance \(LedgerEntryListing.points(v.balance))\(pending), \(v.tier), "
    text += describeNextTier(v.nextTier, program) + " (as of \(t))"
    if found.isProvisional {
      text += "\n  no cardholder's: provisional points of a card not enrolled yet (they join its balance when it is)"
    }
    let cards = found.cards.map { a.blockedCards.contains($0) ? "\($0) (BLOCKED)" : $0 }
    text += "\n  cards: " + (cards.isEmpty ? "none" : cards.joined(separator: ", "))
    if let enrolled = a.enrolledAt { text += "\n  enrolled \(enrolled)" }
    if let referrer = a.referrer { text += ", referred by \(referrer)" }
    text +=
      "\n  lifetime spend \(LoyaltyProgram.money(a.lifetimeSpend, in: program)) in \(LedgerEntryListing.count(a.purchases, "purchase"))"
    for h in found.provisionalHolds where h.heldOn != a.id {
      text += "\n  card \(h.card): \(LedgerEntryListing.points(h.points)) provisional on \(h.heldOn)"
      text += " (`ledger settle-provisional` moves them here)"
    }
    text += "\nhistory (\(LedgerEntryListing.entries(found.history.count)), newest last):"
    for e in found.history { text += "\n  " + LedgerEntryListing.line(e, program: program) }
    return text
  }

  func object(_ found: LedgerAccountLookup, _ v: CardholderView, at t: UTCInstant) -> [String: Any] {
    let a = found.account
    return [
      "account": a.id, "asOf": t.description, "provisional": found.isProvisional,
      "cards": found.cards.map { ["card": $0, "blocked": a.blockedCards.contains($0)] as [String: Any] },
      "balance": v.balance, "available": v.available, "pending": v.pending, "tier": v.tier,
      "spendInWindow": v.spendInWindow, "visitsInWindow": v.visitsInWindow, "nextTier": nextTierObject(v.nextTier),
      "enrolledAt": a.enrolledAt?.description ?? NSNull(), "referrer": a.referrer ?? NSNull(),
      "lifetimeSpend": a.lifetimeSpend, "purchases": a.purchases, "lastSeq": found.lastSeq,
      "provisionalHolds": found.provisionalHolds.map {
        ["card": $0.card, "heldOn": $0.heldOn, "belongsTo": $0.belongsTo ?? NSNull(), "points": $0.points]
          as [String: Any]
      },
      "history": found.history.map(LedgerEntryListing.object),
    ]
  }
}

extension LedgerAccountCommand: JSONReporting { var jsonOutput: Bool { json } }

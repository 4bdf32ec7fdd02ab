import ArgumentParser
import Foundation
import HQBackOffice
import LedgerFormat
import LedgerStore
import LoyaltyCLISupport
import LoyaltyCore

/// `loyalty-hq ledger link CARD --to EXISTING`: HQ's customer desk gives an account a new card
/// (a replacement for a lost one) — the one way to link an account whose card signs when that
/// card is gone, as a counter may link it only with the existing card's signature. The link is
/// decided by the core's link rule, as at a counter; every counter learns it at its next sync.
struct LedgerLinkCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "link",
    abstract: "Link a new card to the account of an existing card (HQ's customer desk; a lost card's replacement).",
    discussion: """
      The new card must not belong to an account yet. With --card-key, the new card's public key \
      (130 hex digits, as the applet's GET DATA 7F49 gives it) is recorded with it, so it signs \
      what it spends; without, it is a card that cannot sign. Block the lost card at a counter \
      (or with `ledger findings --block`). --dry-run prints the entry and appends nothing.
      """)

  @Argument(help: ArgumentHelp("The new card. " + CardArgument.help), transform: CardArgument.parse)
  var card: String

  @Option(help: "A card of the account to join (the lost one will do).", transform: CardArgument.parse)
  var to: String

  @Option(help: "The new card's P-256 public key, hex (X9.63, 130 digits), when it can sign.")
  var cardKey: String?

  @Flag(help: "Print the entry that would be appended; append nothing.")
  var dryRun = false

  @OptionGroup var hq: HQOptions

  func validate() throws {
    if let cardKey, CardProof.publicKey(cardKey.lowercased()) == nil {
      throw ValidationError("--card-key must be a P-256 public key: 130 hex digits starting 04")
    }
  }

  func run() throws {
    try reportLedger(json: hq.json) {
      let written = try LedgerFile(path: hq.ledger).appendHQ(
        key: LedgerKey.load(from: hq.hqKey), at: hq.time, dryRun: dryRun
      ) { fold in
        func facts(_ card: String) -> CardFacts? { fold.audit.standingFacts(of: card) }
        var entry: Entry
        do throws(RuleError) {
          entry = try Decisions.link(
            card: card, known: facts(card), ownAccount: fold.accounts[Identities.accountID(enrolledWith: card)],
            to: to, existingFacts: facts(to),
            context: OperationContext(terminal: Entry.hq, operator: "HQ", at: hq.time))
        } catch {
          throw CommandFailure(reason: error.reason.rawValue, message: "\(error.message): nothing linked")
        }
        entry.basis = nil
        entry.data = cardKey?.lowercased()
        return [entry]
      }
      let e = written[0]
      let object: [String: Any] = [
        "card": card, "account": e.account ?? "", "signs": cardKey != nil, "seq": dryRun ? NSNull() : e.seq as Any,
      ]
      let summary = "link card \(card) to \(e.account ?? "")"
      guard !dryRun else { return LedgerEntryListing.dryRun(written, summary: summary, object: object) }
      return (
        "linked card \(card) to account \(e.account ?? "") at seq \(e.seq)"
          + (cardKey == nil ? " (a card that cannot sign)" : " (it signs with the key given)")
          + "; every counter knows it after its next sync",
        object
      )
    }
  }
}

import ArgumentParser
import HQBackOffice
import LedgerFormat
import LedgerStore
import LoyaltyCLISupport
import LoyaltyCore

/// `loyalty-hq ledger findings [--from DATE] [--until DATE] [--json]`: HQ's fraud detectors over
/// a period of the ledger; with `--block FINDING_ID --reason TEXT --hq-key KEY`, HQ's block of
/// the finding's suspect cards, which every counter learns at its next sync.
struct LedgerFindingsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "findings",
    abstract: "Fraud findings over a period of the ledger, each with its entries; --block blocks a finding's cards.",
    discussion: """
      Each finding has an id (F-…), the same on every run for the same entries behind it. \
      --block FINDING_ID appends HQ's block of the finding's suspect cards (through the same guarded \
      append as `ledger adjust`), once: a second run appends nothing. The detectors and their \
      thresholds (the program's `fraud` object) are described in docs/fraud-findings.md.
      """)

  @OptionGroup var file: LedgerFileOption
  var ledger: String { file.ledger }

  @Option(help: "Period start (UTC, inclusive).")
  var from: UTCInstant?

  @Option(help: "Period end (UTC, exclusive).")
  var until: UTCInstant?

  @Option(help: ArgumentHelp("Block the suspect cards of this finding (its id, F-…).", valueName: "finding-id"))
  var block: String?

  @Option(help: "Why (kept in the block entries); with --block.")
  var reason: String?

  @Option(help: "HQ's private key file (mode 600); with --block.")
  var hqKey: String?

  @Option(help: "When the block is appended (UTC); with --block, default now.")
  var at: UTCInstant?

  @Flag(help: "Print the block entries that would be appended; append nothing.")
  var dryRun = false

  @Flag(help: "Print JSON.")
  var json = false

  func validate() throws {
    if let from, let until, until <= from {
      throw ValidationError("--until \(until) must be after --from \(from)")
    }
    guard block != nil else {
      let strays = [
        reason.map { _ in "--reason" }, hqKey.map { _ in "--hq-key" }, at.map { _ in "--at" },
        dryRun ? "--dry-run" : nil,
      ].compactMap { $0 }
      if let first = strays.first { throw ValidationError("\(first) goes with --block FINDING_ID only") }
      return
    }
    guard let reason, !reason.isEmpty, reason.count <= 200 else {
      throw ValidationError("--block needs --reason TEXT of 1-200 characters (kept in the block entries)")
    }
    guard hqKey != nil else { throw ValidationError("--block needs --hq-key (HQ's private key file)") }
  }

  func run() throws {
    try reportLedger(json: json) {
      let found = try FraudFindings.read(path: ledger, from: from, until: until)
      guard let block else { return (FraudFindingsText.text(found, ledger: ledger), FraudFindingsText.object(found)) }
      guard let finding = found.finding(block) else {
        throw CommandFailure(
          reason: "unknownFinding",
          message: "no finding \(block) in \(ledger)\(FraudFindingsText.period(found)): nothing blocked "
            + "(`ledger findings` lists them, with the same --from/--until)")
      }
      return try blockCards(of: finding)
    }
  }

  /// Appends HQ's block of `finding`'s suspect cards, those not blocked yet.
  func blockCards(of finding: FraudFinding) throws -> (text: String, object: [String: Any]) {
    guard !finding.suspectCards.isEmpty else {
      throw CommandFailure(
        reason: "noSuspectCard",
        message: "finding \(finding.id) (\(finding.kind.rawValue)) names no suspect card: the card in it is the "
          + "customer's, who is the victim; nothing blocked (question the shop, or revoke its terminal)")
    }
    let time = at ?? .wallClock
    var plan = FraudBlocks.Plan()
    let written = try LedgerFile(path: ledger).appendHQ(
      key: LedgerKey.load(from: hqKey ?? ""), at: time, dryRun: dryRun
    ) { fold in
      plan = FraudBlocks.plan(finding, fold: fold, at: time, reason: reason ?? "")
      return plan.entries
    }
    var lines = written.map {
      "card \(CardID.masked($0.card ?? "")) of \($0.account ?? "?") at seq \($0.seq) (entry \($0.id))"
    }
    lines += plan.alreadyBlocked.map { "card \($0) is blocked already" }
    lines += plan.inNoAccount.map { "card \($0) is in no account: nothing to block" }
    let object: [String: Any] = [
      "finding": finding.id,
      "blocked": written.map {
        ["card": CardID.masked($0.card ?? ""), "account": $0.account ?? "", "seq": $0.seq, "id": $0.id]
          as [String: Any]
      },
      "alreadyBlocked": plan.alreadyBlocked, "inNoAccount": plan.inNoAccount, "dryRun": dryRun,
    ]
    let head =
      dryRun
      ? "dry run, nothing appended: finding \(finding.id) would block \(LedgerEntryListing.count(written.count, "card"))"
      : written.isEmpty
        ? "finding \(finding.id): nothing appended"
        : "finding \(finding.id): blocked \(LedgerEntryListing.count(written.count, "card")); every counter "
          + "refuses \(written.count == 1 ? "it" : "them") after its next sync"
    return (([head] + lines).joined(separator: "\n  "), object)
  }
}

import ArgumentParser
import HQBackOffice
import LedgerFormat
import LedgerStore
import LoyaltyCLISupport
import LoyaltyCore

/// `loyalty-hq ledger expire --as-of TIME`: expires lots past their date, as one HQ batch.
/// A cutoff later than now is refused unless forced: it would expire points not due yet.
struct LedgerExpireCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "expire",
    abstract: "Append expiry entries for every lot expired at --as-of (the engine's lot arithmetic).",
    discussion: """
      An --as-of later than now (--at, or this machine's clock) is refused unless --force: counters \
      take the expiries at their next sync and nothing takes them back. --dry-run prints the entries \
      that would be appended and appends nothing.
      """)

  @Option(help: "Expire lots whose expiry is at or before this UTC time.")
  var asOf: UTCInstant

  @Flag(help: "Expire as of a time later than now (--at, or the clock).")
  var force = false

  @Flag(help: "Print the entries that would be appended; append nothing.")
  var dryRun = false

  @OptionGroup var hq: HQOptions

  func run() throws {
    try reportLedger(json: hq.json) {
      let cutoff = asOf
      let now = hq.time
      if cutoff > now && !force {
        throw CommandFailure(
          reason: "futureExpiry",
          message: "--as-of \(cutoff) is \(Self.ahead(cutoff, of: now)) after now (\(now)): it would expire points "
            + "that are not due yet (a wrong year or month?); nothing expired (give the date you mean, or --force)")
      }
      let entries = try LedgerFile(path: hq.ledger).appendHQ(
        key: LedgerKey.load(from: hq.hqKey), at: now, dryRun: dryRun
      ) { fold in LedgerExpiry.entries(for: fold, asOf: cutoff).map(\.entry) }
      let total = entries.reduce(0) { $0 - ($1.points ?? 0) }
      let accounts = entries.count == 1 ? "1 account" : "\(entries.count) accounts"
      let summary = "\(LedgerEntryListing.points(total)) in \(accounts) as of \(cutoff)"
      let object: [String: Any] = ["accounts": entries.count, "points": total, "asOf": cutoff.description]
      guard !dryRun else { return LedgerEntryListing.dryRun(entries, summary: "expire \(summary)", object: object) }
      return ("expired \(summary)", object)
    }
  }

  /// "365 days", "3 hours", "12 seconds": how far `t` is after `now`, in the largest whole unit.
  static func ahead(_ t: UTCInstant, of now: UTCInstant) -> String {
    let s = t.seconds - now.seconds
    let (n, unit) = s >= 86_400 ? (s / 86_400, "day") : s >= 3600 ? (s / 3600, "hour") : (s, "second")
    return "\(n) \(unit)\(n == 1 ? "" : "s")"
  }
}

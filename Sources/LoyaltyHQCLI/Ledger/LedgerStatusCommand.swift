import ArgumentParser
import Foundation
import HQBackOffice
import LedgerFormat
import LedgerStore
import LoyaltyCLISupport
import LoyaltyCore

/// `loyalty-hq ledger status --ledger FILE`: the chain at a glance — the ledger's size,
/// head and liability, and every terminal: registered or revoked, its key, its last batch, what
/// HQ refused of it. Read-only, without the writers' lock: it runs while `hq serve` does.
struct LedgerStatusCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "status",
    abstract: "Show the ledger (entries, bytes, head, HQ key, points liability) and every terminal's standing.",
    discussion: """
      Reads the ledger without taking the writers' lock, so it runs while `loyalty-hq serve` does. Per terminal: \
      registered or revoked and since when, its key's fingerprint (sha256: and the first 8 bytes, hex), \
      its last admitted batch, the entries HQ's admission refused (LEDGER.refusals) and those the audit \
      leaves out. Downloads are not recorded on disk: `loyalty-hq serve` counts them at /metrics.
      """)

  @OptionGroup var file: LedgerFileOption
  var ledger: String { file.ledger }

  @Option(help: "Pending points as of this time (UTC, 2026-11-02T09:15:00Z); default now.")
  var at: UTCInstant?

  @Flag(help: "Print JSON.")
  var json = false

  /// What the output says of downloads: nothing on disk records them per terminal.
  static let downloads =
    "not recorded on disk (loyalty-hq serve counts downloads for the whole chain at /metrics: loyalty_downloads_total)"

  func run() throws {
    try reportLedger(json: json) {
      let s = try LedgerStatus.read(path: ledger, asOf: at ?? .wallClock)
      var text = """
        ledger \(s.path): \(LedgerEntryListing.entries(s.entries)) in \(LedgerEntryListing.count(s.seals, "sealed batch", plural: "sealed batches")), \(s.bytes) bytes, \
        last seq \(s.lastSeq)
          head \(s.head)
          HQ key \(s.hqFingerprint)
          program \(s.programVersion.map { "version \($0)" } ?? "none published")
          points liability \(LedgerEntryListing.points(s.pointsLiability)) (\(s.pending) pending as of \(s.asOf)) owed to \(s.accountsInCredit) \
        of \(LedgerEntryListing.count(s.accounts, "account"))
        """
      if s.overdrawn > 0 { text += "; \(s.overdrawn) owed by overdrawn accounts" }
      if s.tornBytes > 0 {
        text +=
          "\n  \(s.tornBytes) bytes after the last sealed batch (an append killed midway; the next writer cuts them)"
      }
      if s.refusedHQ > 0 { text += "\n  HQ's own commands refused at admission: \(s.refusedHQ)" }
      if let days = s.regionDays, let day = s.day {
        text +=
          "\nregions (a region's terminals hold the accounts active there within \(days) days of "
          + "\(UTCInstant(seconds: day * 86_400).description.prefix(10))):"
        for r in s.regions {
          text +=
            "\n  \(r.name): \(r.terminals.joined(separator: " ")); \(LedgerEntryListing.count(r.members, "account")), "
            + "\(LedgerEntryListing.points(r.points))"
        }
      }
      text += "\nterminals: \(s.terminals.count)"
      for t in s.terminals {
        text += "\n  \(t.id)  \(t.registered ? "registered" : "REVOKED") since \(t.since)  key \(t.fingerprint)"
        if let region = s.regions.first(where: { $0.terminals.contains(t.id) }) { text += "  region \(region.name)" }
        text +=
          t.lastBatch.map { "  last batch \($0.at) (\(LedgerEntryListing.entries($0.entries)), seq \($0.seq))" }
          ?? "  no batch yet"
        text += "  refused \(t.refusedAtAdmission)\(t.lastRefusal.map { " (last \($0))" } ?? "")"
        if t.leftOut > 0 { text += "  left out by the audit \(t.leftOut)" }
      }
      text += "\nlast downloads: \(Self.downloads)"
      return (text, object(s))
    }
  }

  func object(_ s: LedgerStatus) -> [String: Any] {
    [
      "ledger": s.path, "bytes": s.bytes, "tornBytes": s.tornBytes, "entries": s.entries, "seals": s.seals,
      "lines": s.lines, "lastSeq": s.lastSeq, "head": s.head, "hqKey": s.hqKey, "hqKeyFingerprint": s.hqFingerprint,
      "programVersion": s.programVersion ?? NSNull(), "accounts": s.accounts, "accountsInCredit": s.accountsInCredit,
      "pointsLiability": s.pointsLiability,
      "pending": s.pending, "overdrawn": s.overdrawn, "asOf": s.asOf.description, "refusedHQ": s.refusedHQ,
      "downloads": Self.downloads,
      "regionDays": s.regionDays ?? NSNull(),
      "regions": s.regions.map {
        ["region": $0.name, "terminals": $0.terminals, "members": $0.members, "points": $0.points]
      },
      "terminals": s.terminals.map { t -> [String: Any] in
        [
          "terminal": t.id, "status": t.registered ? "registered" : "revoked", "since": t.since.description,
          "key": t.key, "keyFingerprint": t.fingerprint,
          "lastBatch": t.lastBatch.map {
            ["at": $0.at.description, "entries": $0.entries, "seq": $0.seq] as [String: Any]
          }
            ?? NSNull(),
          "refusedAtAdmission": t.refusedAtAdmission, "lastRefusal": t.lastRefusal?.description ?? NSNull(),
          "leftOut": t.leftOut, "lastDownload": NSNull(),
        ]
      },
    ]
  }
}

extension LedgerStatusCommand: JSONReporting { var jsonOutput: Bool { json } }

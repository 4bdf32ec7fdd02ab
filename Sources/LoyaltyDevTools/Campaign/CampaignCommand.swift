import LoyaltyTerminalCLI
import ArgumentParser

/// `loyalty-terminal campaign`: fault campaigns against real files and processes (.ci/campaigns).
struct CampaignCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "campaign", abstract: "Fault campaigns: crashes, concurrency, tampering, a full disk.",
    discussion:
      "Each prints a one-line summary and exits 1 on a failure. The reader campaign is hardware/reader-campaign.sh.",
    subcommands: [CrashCampaign.self, ConcurrencyCampaign.self, TamperCampaign.self, DiskFullCampaign.self])
}

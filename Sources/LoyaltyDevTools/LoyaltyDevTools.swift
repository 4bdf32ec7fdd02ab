import ArgumentParser
import Foundation
import LoyaltyTerminalCLI

/// `loyalty-devtools`: the developers' tools beside the product — benchmarks, fault campaigns and
/// the helpers they spawn. Not part of what a terminal or HQ installs.
@main
struct LoyaltyDevTools: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "loyalty-devtools",
    abstract: "Benchmarks and fault campaigns for loyalty-terminal (developer tools, not shipped).",
    subcommands: [
      BenchCommand.self, CampaignCommand.self, EarnLoopCommand.self, CacheBenchmarkWorker.self,
      LedgerBenchmarkWorker.self,
    ])

  static func main() async { await runCommandLine(LoyaltyDevTools.self) }
}

/// The product's binary, `loyalty-terminal`, beside this one (SwiftPM builds both into one folder).
enum ProductBinary {
  static var loyaltyTerminal: URL {
    URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
      .appendingPathComponent("loyalty-terminal")
  }

  /// This executable, for the workers it runs as child processes.
  static var devtools: URL { URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath() }
}

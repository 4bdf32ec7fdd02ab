import ArgumentParser
import Foundation
import LoyaltyCLISupport
import LoyaltyTerminalCLI

/// `loyalty-devtools`: the developers' tools beside the product — benchmarks, fault campaigns and
/// the helpers they spawn. Not part of what a terminal or HQ installs.
@main
struct LoyaltyDevTools: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "loyalty-devtools",
    abstract: "Benchmarks and fault campaigns for loyalty-terminal (developer tools, not shipped).",
    subcommands: [
      BenchCommand.self, CampaignCommand.self, SwarmCommand.self, EarnLoopCommand.self, CacheBenchmarkWorker.self,
      LedgerBenchmarkWorker.self, NetworkBenchmarkWorker.self, AdmissionBenchmarkWorker.self,
      StateBenchmarkWorker.self,
    ])

  static func main() async { await runCommandLine(LoyaltyDevTools.self) }
}

/// The product's binaries, `loyalty-terminal` and `loyalty-hq`, beside this one (SwiftPM builds them
/// into one folder).
enum ProductBinary {
  static var loyaltyTerminal: URL { devtools.deletingLastPathComponent().appendingPathComponent("loyalty-terminal") }

  /// HQ's binary: `ledger …` and `serve`.
  static var loyaltyHQ: URL { devtools.deletingLastPathComponent().appendingPathComponent("loyalty-hq") }

  /// This executable, for the workers it runs as child processes: where the kernel says it was
  /// started from (still right when a rebuild has replaced the file meanwhile).
  static var devtools: URL {
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    var path =
      n > 0 ? String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : CommandLine.arguments[0]
    if path.hasSuffix(" (deleted)") { path.removeLast(" (deleted)".count) }
    return URL(fileURLWithPath: path)
  }
}

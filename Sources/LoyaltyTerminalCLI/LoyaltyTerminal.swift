import ArgumentParser
import Foundation
import Logging

/// The `loyalty-terminal` command: the counter terminal's firmware and its tools.
public struct LoyaltyTerminal: AsyncParsableCommand {
  public static let configuration = CommandConfiguration(
    commandName: "loyalty-terminal",
    abstract: "Loyalty-card terminal firmware, reader tools and simulator.",
    subcommands: [
      DemoCommand.self, RunCommand.self, CampaignCommand.self, ReadersCommand.self, WatchCommand.self, SimCommand.self,
      BenchCommand.self,
      ProgramCommand.self,
      EnrollCommand.self,
      IdentifyCommand.self, EarnCommand.self, RedeemCommand.self, RefundCommand.self, BlockCommand.self,
      LinkCommand.self,
      HistoryCommand.self, EarnLoopCommand.self, CacheBenchmarkWorker.self, LedgerCommand.self, SyncCommand.self,
      LedgerBenchmarkWorker.self,
    ]
  )

  public init() {}
}

/// Options every reader-facing command shares.
struct ReaderOptions: ParsableArguments {
  @Flag(help: "Use the in-process simulated reader instead of pcscd.")
  var simulated = false

  @Option(
    help:
      "ATR profiles file (default: $LOYALTY_CARD_PROFILES, /etc/loyalty-terminal/card-profiles.json, or hardware/card-profiles.json of the checkout)."
  )
  var cardProfiles: String?

  @Option(help: "Log level on stderr: trace, debug, info, notice, warning, error, critical.")
  var logLevel: String = "warning"

  func validate() throws {
    guard Logger.Level(rawValue: logLevel) != nil else {
      throw ValidationError(
        "--log-level \"\(logLevel)\" is not one of trace, debug, info, notice, warning, error, critical")
    }
  }

  /// A logger writing to stderr at the chosen level.
  func makeLogger(_ label: String) -> Logger {
    var logger = Logger(label: label) { StreamLogHandler.standardError(label: $0) }
    logger.logLevel = Logger.Level(rawValue: logLevel) ?? .warning
    return logger
  }
}

extension LoyaltyTerminal {
  /// Parses the process arguments and runs the chosen subcommand (the executable's entry point).
  public static func runMain(_ arguments: [String]? = nil) async {
    // A parent may have spawned us with these blocked (libdispatch threads block every signal);
    // Ctrl-C and `kill` must still reach the command's handler.
    var signals = sigset_t()
    sigemptyset(&signals)
    sigaddset(&signals, SIGINT)
    sigaddset(&signals, SIGTERM)
    pthread_sigmask(SIG_UNBLOCK, &signals, nil)
    var command: any ParsableCommand
    do {
      command = try parseAsRoot(arguments)
    } catch {
      exit(withError: error)  // a wrong command line: the message and the usage
    }
    do {
      if var asyncCommand = command as? any AsyncParsableCommand {
        try await asyncCommand.run()
      } else {
        try command.run()
      }
    } catch let error as ExitCode {
      exit(withError: error)
    } catch let error as CleanExit {
      exit(withError: error)
    } catch {
      // A failure at run time: one line saying what went wrong, no usage banner.
      printError("\(commandPath(to: type(of: command)) ?? "loyalty-terminal"): \(FailureMessage(error))")
      Foundation.exit(1)
    }
  }

  /// "loyalty-terminal sim run" for `SimRunCommand`: the words that name a subcommand.
  static func commandPath(to target: any ParsableCommand.Type, from node: any ParsableCommand.Type = LoyaltyTerminal.self)
    -> String?
  {
    let name = node.configuration.commandName ?? "loyalty-terminal"
    if node == target { return name }
    for child in node.configuration.subcommands {
      if let rest = commandPath(to: target, from: child) { return name + " " + rest }
    }
    return nil
  }
}

import ArgumentParser

/// `loyalty-terminal sim`: simulated cards and scenarios.
struct SimCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "sim", abstract: "Simulated cards and scenarios.",
    subcommands: [SimCardCommand.self, SimRunCommand.self, SimChainCommand.self])
}

import ArgumentParser

/// `loyalty-terminal hq …`: HQ's network service.
struct HQCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "hq", abstract: "HQ's sync service: the ledger's single writer over HTTP (README, section \"HQ's sync service\").",
    subcommands: [HQServeCommand.self])
}

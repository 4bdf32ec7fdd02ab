import ArgumentParser

/// `loyalty-terminal bench`: the reader-layer benchmark (placeholder until written).
struct BenchCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(commandName: "bench", abstract: "Reader-layer benchmarks.")
  func run() async throws {}
}

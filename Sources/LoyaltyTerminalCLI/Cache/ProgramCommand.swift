import ArgumentParser
import Foundation
import LocalFiles
import LoyaltyCLISupport
import LoyaltyCore

/// `loyalty-terminal program load FILE`: validates a program and installs it in the cache.
struct ProgramCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "program", abstract: "Loyalty program definitions.", subcommands: [Load.self])

  struct Load: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Validate a program JSON file and make it the cache's program (refused whole, every problem listed).")

    @Argument(help: "The program file.")
    var file: String

    @OptionGroup var cache: CacheOptions
    @OptionGroup var recording: RecordingOptions

    func run() throws {
      try report(json: cache.json) {
        let data: Data
        do throws(LocalFileError) { data = try LocalFile.read(file, as: "program", limit: 1 << 20) } catch {
          throw CommandFailure(reason: "unreadableFile", message: error.description)
        }
        let program = try ProgramFile.parse(data, path: file)
        try cache.open().loadProgram(program, json: String(decoding: data, as: UTF8.self), context: recording.context)
        return (
          "program version \(program.version) loaded (\(program.currency), tiers \(program.tiers.map(\.name).joined(separator: "/")), \(program.catalogue.count) catalogue items)",
          ["loaded": true, "version": program.version, "currency": program.currency]
        )
      }
    }
  }
}

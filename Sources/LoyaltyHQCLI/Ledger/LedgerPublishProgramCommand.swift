import ArgumentParser
import Foundation
import HQBackOffice
import LedgerFormat
import LedgerStore
import LocalFiles
import LoyaltyCLISupport
import LoyaltyCore

/// `loyalty-hq ledger publish-program FILE`: the program every terminal applies.
struct LedgerPublishProgramCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "publish-program", abstract: "Validate a program and publish it to the ledger as an HQ entry.")

  @Argument(
    help: ArgumentHelp(
      "The program JSON file, with a version greater than the last published one (every field is described in "
        + "docs/program-format.md in the project's source; sim/program.json there is an example)."))
  var file: String

  @OptionGroup var hq: HQOptions

  func run() throws {
    try reportLedger(json: hq.json) {
      let data: Data
      do throws(LocalFileError) { data = try LocalFile.read(file, as: "program", limit: 1 << 20) } catch {
        throw CommandFailure(reason: "unreadableFile", message: error.description)
      }
      let program = try ProgramParser.parse(data)
      let written = try hq.append([
        LedgerEntry(
          kind: .program, id: "program-\(program.version)", at: hq.time, terminal: Entry.hq,
          data: String(decoding: data, as: UTF8.self))
      ])
      return (
        "program version \(program.version) published at seq \(written[0].seq)",
        ["version": program.version, "seq": written[0].seq]
      )
    }
  }
}

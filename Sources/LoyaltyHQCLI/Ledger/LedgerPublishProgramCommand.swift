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
      let program = try ProgramFile.parse(data, path: file)
      let written = try hq.append([
        LedgerEntry(
          kind: .program, id: "program-\(program.version)", at: hq.time, terminal: Entry.hq,
          data: String(decoding: data, as: UTF8.self))
      ])
      // A region naming a terminal the ledger does not register (a typo) leaves the real one in no
      // region, holding every account: said, not refused (it may be registered next).
      var tail = LedgerVerifier.Tail.clean
      let registered = try LedgerVerifier.readVerified(path: hq.ledger, tail: &tail, each: { _ in }).terminals
      let named = program.regions.map { Array($0.shops.values.joined()) } ?? []
      let unknown = named.filter { registered[$0] == nil }.sorted()
      let warning =
        unknown.isEmpty
        ? ""
        : "; warning: its regions name terminals this ledger does not register: \(unknown.joined(separator: ", ")) "
          + "(a misspelt one leaves the real terminal in no region, holding every account)"
      return (
        "program version \(program.version) published at seq \(written[0].seq)\(warning)",
        ["version": program.version, "seq": written[0].seq, "unregisteredInRegions": unknown]
      )
    }
  }
}

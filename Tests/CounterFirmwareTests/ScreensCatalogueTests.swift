import CardIdentification
import Foundation
import LoyaltyCore
import Testing

@testable import CounterFirmware

/// Every screen of the counter for representative inputs, rendered into docs/screens.md so a
/// change of wording is seen in review. Each line fits the 4×20 display without clipping and no
/// message loses a word across its pages. `LOYALTY_UPDATE_SCREENS=1` rewrites the file.
@Suite("The screens catalogue")
struct ScreensCatalogueTests {
  typealias D = MachineDriver
  static let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../../docs/screens.md").standardized

  @Test func everyScreenFitsAndTheCatalogueMatchesTheFile() throws {
    let catalogue = ScreenCatalogue.build()
    for (title, lines) in catalogue.entries {
      #expect(lines.count == Screen.height, "\(title): \(lines)")
      for line in lines { #expect(line.count <= Screen.width, "\(title): \"\(line)\" is \(line.count) characters") }
    }
    for (title, message) in catalogue.messages {
      var shown: [String] = []
      for page in 0..<message.pages {
        var m = message
        m.page = page
        shown += Array(CounterScreens.page(of: m).prefix(message.pages > 1 ? CounterMessage.pageLines : Screen.height))
      }
      #expect(
        shown.filter { !$0.isEmpty } == message.lines.filter { !$0.isEmpty }, "\(title): a page lost a line")
    }
    let text = catalogue.markdown
    if ProcessInfo.processInfo.environment["LOYALTY_UPDATE_SCREENS"] == "1" {
      try text.write(to: Self.file, atomically: true, encoding: .utf8)
    }
    let checkedIn = try String(contentsOf: Self.file, encoding: .utf8)
    #expect(
      checkedIn == text,
      "docs/screens.md is not what the screens show: run LOYALTY_UPDATE_SCREENS=1 swift test --filter ScreensCatalogue and review the diff"
    )
  }

  @Test func wrappingNeverLosesAWord() {
    let texts = [
      "receipt T01/0123456789012345678901234567890123456789 is not known here: a refund needs its receipt, and a counter keeps only those inside the program's refund window (HQ can adjust an older one's points: ledger adjust)",
      "a b c", "", String(repeating: "x", count: 61),
    ]
    for text in texts {
      let lines = CounterScreens.wrap(text)
      #expect(lines.allSatisfy { $0.count <= Screen.width })
      #expect(lines.joined(separator: " ").split(separator: " ").joined() == text.split(separator: " ").joined())
    }
  }
}

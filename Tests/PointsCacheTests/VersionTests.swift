import Foundation
import TestSupport
import Testing

/// `--version` prints the release, and `--help` names it too.
@Suite("The binary says its version")
struct VersionTests {
  @Test func versionAndHelpNameTheRelease() throws {
    let version = try runToCompletion(BuiltProducts.loyaltyTerminal, ["--version"])
    #expect(version.status == 0)
    let release = version.output.trimmingCharacters(in: .whitespacesAndNewlines)
    #expect(release.split(separator: ".").count == 3, "a semantic version: \(release)")
    let help = try runToCompletion(BuiltProducts.loyaltyTerminal, ["--help"])
    #expect(help.output.replacingOccurrences(of: "\n", with: " ").contains("(version \(release))"))
  }
}

import Foundation
import TestSupport
import Testing

/// `--version` prints the release, and `--help` names it too; the counter's and HQ's binaries of a
/// release say the same.
@Suite("The binary says its version")
struct VersionTests {
  @Test func versionAndHelpNameTheRelease() throws {
    let version = try runToCompletion(BuiltProducts.loyaltyTerminal, ["--version"])
    #expect(version.status == 0)
    let release = version.output.trimmingCharacters(in: .whitespacesAndNewlines)
    #expect(release.split(separator: ".").count == 3, "a semantic version: \(release)")
    for binary in [BuiltProducts.loyaltyTerminal, BuiltProducts.loyaltyHQ] {
      let help = try runToCompletion(binary, ["--help"])
      #expect(help.output.replacingOccurrences(of: "\n", with: " ").contains("(version \(release))"), "\(binary)")
    }
    let hq = try runToCompletion(BuiltProducts.loyaltyHQ, ["--version"])
    #expect(hq.status == 0 && hq.output.trimmingCharacters(in: .whitespacesAndNewlines) == release)
  }
}

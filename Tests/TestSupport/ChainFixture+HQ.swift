import Foundation
import LoyaltyCore

extension ChainFixture {
  /// `loyalty-terminal sync` of terminal `t` over HQ's service at `url`, as a child process.
  public func syncChild(_ t: String, _ url: String, at: UTCInstant, key: String? = nil) throws -> (
    status: Int32, output: String, errors: String
  ) {
    try runToCompletion(BuiltProducts.loyaltyTerminal, hqSyncArguments(t, url, at: at, key: key))
  }

  /// The arguments of `loyalty-terminal sync` for terminal `t` over HQ's service at `url`.
  public func hqSyncArguments(_ t: String, _ url: String, at: UTCInstant, key: String? = nil) -> [String] {
    ["sync", "--cache", cachePath(t), "--hq", url, "--terminal", t, "--key", key ?? keyPath(t), "--at", at.description]
  }

  /// `loyalty-hq ledger settle-provisional` on the chain's ledger at `at`.
  public func settleProvisional(at: UTCInstant) throws -> (status: Int32, output: String, errors: String) {
    try runToCompletion(
      BuiltProducts.loyaltyHQ,
      [
        "ledger", "settle-provisional", "--ledger", ledger.path, "--hq-key",
        directory.appendingPathComponent("hq.key").path, "--at", at.description,
      ])
  }
}

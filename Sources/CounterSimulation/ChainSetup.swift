import Foundation
import LedgerFormat
import LedgerStore
import LoyaltyCore

/// A chain on disk, as HQ sets one up: HQ's key and a new ledger, terminals with their keys
/// generated and registered, and the program published — in one HQ batch.
///
/// What the scenario runner, the fault campaigns, the benchmarks and the tests all start from.
public struct ChainSetup: Sendable {
  public let directory: URL
  public let hq: LedgerKey
  public let ledger: LedgerFile
  public let terminals: [String]
  public let keys: [String: LedgerKey]
  public let start: UTCInstant

  /// Creates the chain in `directory` (made if missing): `hq.key`, `ledger.jsonl`, `T.key` per
  /// terminal, and, when `program` is given, its publication as `programID`.
  public init(
    in directory: URL, terminals: [String], program: String?, programID: String = "program-1", at start: UTCInstant
  ) throws {
    self.directory = directory
    self.terminals = terminals
    self.start = start
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    hq = try LedgerKey.generate(at: directory.appendingPathComponent("hq.key").path)
    ledger = try LedgerFile.create(at: directory.appendingPathComponent("ledger.jsonl").path, hqKey: hq, created: start)
    var keys: [String: LedgerKey] = [:]
    var setup: [LedgerEntry] = []
    for t in terminals {
      let key = try LedgerKey.generate(at: directory.appendingPathComponent("\(t).key").path)
      keys[t] = key
      setup.append(
        LedgerEntry(
          kind: .terminalRegister, id: "register-\(t)", at: start, terminal: Entry.hq, ref: t, data: key.publicKeyBase64
        ))
    }
    if let program {
      setup.append(LedgerEntry(kind: .program, id: programID, at: start, terminal: Entry.hq, data: program))
    }
    self.keys = keys
    if !setup.isEmpty { try ledger.append(setup, signer: Entry.hq, key: hq, at: start) }
  }

  /// A terminal's key file.
  public func keyPath(_ terminal: String) -> String { directory.appendingPathComponent("\(terminal).key").path }

  /// Where a terminal's cache lives in the chain's directory.
  public func cachePath(_ terminal: String) -> String { directory.appendingPathComponent("\(terminal).db").path }
}

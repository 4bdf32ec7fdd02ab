import Foundation
import Ledger
import LoyaltyCore
import NightlySync
import PointsCache

/// HQ, a ledger with the example program, and N registered terminals with their caches and keys.
struct SyncFixture {
  let directory: URL
  let ledger: LedgerFile
  let hq: LedgerKey
  let terminals: [String]
  static let start = UTCInstant(parsing: "2026-11-01T00:00:00Z")!
  static let program = try! String(
    contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
      "../../sim/program.json"),
    encoding: .utf8)

  init(terminals count: Int) throws {
    directory = FileManager.default.temporaryDirectory.appendingPathComponent("sync-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    hq = try LedgerKey.generate(at: directory.appendingPathComponent("hq.key").path)
    ledger = try LedgerFile.create(
      at: directory.appendingPathComponent("ledger.jsonl").path, hqKey: hq, created: Self.start)
    terminals = (1...count).map { "T\($0 < 10 ? "0" : "")\($0)" }
    var setup: [LedgerEntry] = []
    for t in terminals {
      let key = try LedgerKey.generate(at: keyPath(t))
      setup.append(
        LedgerEntry(
          kind: .terminalRegister, id: "register-\(t)", at: Self.start, terminal: "HQ", ref: t,
          data: key.publicKeyBase64))
    }
    setup.append(LedgerEntry(kind: .program, id: "program-1", at: Self.start, terminal: "HQ", data: Self.program))
    try ledger.append(setup, signer: "HQ", key: hq, at: Self.start)
  }

  func keyPath(_ t: String) -> String { directory.appendingPathComponent("\(t).key").path }
  func cachePath(_ t: String) -> String { directory.appendingPathComponent("\(t).db").path }
  func cache(_ t: String) throws -> PointsCache { try PointsCache(path: cachePath(t)) }

  @discardableResult
  func sync(_ t: String, at: UTCInstant) throws -> SyncSummary {
    try NightlySync(cache: cache(t), ledger: ledger, terminal: t, key: LedgerKey.load(from: keyPath(t))).run(at: at)
  }

  func context(_ t: String, _ seconds: Int64) -> OperationContext {
    OperationContext(terminal: t, operator: "test", at: Self.start.adding(days: 1).adding(seconds: seconds))
  }

  /// Every account's balance as a terminal's cache sees it.
  func balances(_ t: String) throws -> [String: Int64] {
    let cache = try cache(t)
    var out: [String: Int64] = [:]
    for card in Self.cards {
      if let view = try? cache.identify(card: card, at: Self.start.adding(days: 30)) {
        out[view.account] = view.balance
      }
    }
    return out
  }

  /// Loyalty numbers for tests: 628000 + 9 digits + Luhn digit.
  static let cards: [String] = (0..<20).map { n in
    let body = "628000" + String(format: "%09d", n)
    var sum = 0
    for (i, c) in body.reversed().enumerated() {
      var d = Int(String(c))!
      if i % 2 == 0 {
        d *= 2
        if d > 9 { d -= 9 }
      }
      sum += d
    }
    return body + String((10 - sum % 10) % 10)
  }
}

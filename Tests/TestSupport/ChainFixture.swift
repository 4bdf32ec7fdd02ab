import CounterSimulation
import Foundation
import LedgerFormat
import LedgerStore
import LoyaltyCore
import NightlySync
import PointsCache

/// The tests' chain: `ChainSetup` (HQ, a ledger with the example program, N registered
/// terminals) in a temporary directory, with each terminal's cache and sync at hand.
public struct ChainFixture: Sendable {
  public let chain: ChainSetup
  public var directory: URL { chain.directory }
  public var ledger: LedgerFile { chain.ledger }
  public var hq: LedgerKey { chain.hq }
  public var terminals: [String] { chain.terminals }
  public static let start = UTCInstant(parsing: "2026-11-01T00:00:00Z")!
  /// The example program, sim/program.json.
  public static let program = try! String(
    contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
      "../../sim/program.json"),
    encoding: .utf8)

  public init(terminals count: Int, program: String = ChainFixture.program) throws {
    chain = try ChainSetup(
      in: FileManager.default.temporaryDirectory.appendingPathComponent("chain-\(UUID().uuidString)"),
      terminals: (1...count).map { "T\($0 < 10 ? "0" : "")\($0)" }, program: program, at: Self.start)
  }

  /// The example program with `regions` (the JSON object's text) added, as `version`.
  public static func program(regions: String, version: Int = 1) -> String {
    program.replacingOccurrences(of: "\"version\": 1,", with: "\"version\": \(version),")
      .replacingOccurrences(of: "\"expiryDays\": 365,", with: "\"expiryDays\": 365, \"regions\": \(regions),")
  }

  /// HQ publishes the example program again as version 2, with a return window of `pendingDays`.
  public func publishProgram(pendingDays: Int, at: UTCInstant = ChainFixture.start.adding(seconds: 30)) throws {
    let json = Self.program.replacingOccurrences(of: "\"version\": 1,", with: "\"version\": 2,")
      .replacingOccurrences(of: "\"expiryDays\": 365,", with: "\"expiryDays\": 365, \"pendingDays\": \(pendingDays),")
    try ledger.append(
      [LedgerEntry(kind: .program, id: "program-2", at: at, terminal: "HQ", data: json)], signer: "HQ", key: hq, at: at)
  }

  public func keyPath(_ t: String) -> String { chain.keyPath(t) }
  public func cachePath(_ t: String) -> String { chain.cachePath(t) }
  public func cache(_ t: String) throws -> PointsCache { try PointsCache(path: cachePath(t)) }

  @discardableResult
  public func sync(_ t: String, at: UTCInstant) async throws -> SyncSummary {
    try await nightlySync(t).run(at: at)
  }

  /// A terminal's nightly sync over the ledger file.
  public func nightlySync(_ t: String, key: LedgerKey? = nil) throws -> NightlySync {
    NightlySync(
      cache: try cache(t), connection: LocalLedgerConnection(ledger: ledger), terminal: t,
      key: try key ?? LedgerKey.load(from: keyPath(t)))
  }

  public func context(_ t: String, _ seconds: Int64) -> OperationContext {
    OperationContext(terminal: t, operator: "test", at: Self.start.adding(days: 1).adding(seconds: seconds))
  }

  /// Every account's balance as a terminal's cache sees it.
  public func balances(_ t: String) throws -> [String: Int64] {
    let cache = try cache(t)
    var out: [String: Int64] = [:]
    for card in Self.cards {
      if let view = try? cache.identify(card: card, at: Self.start.adding(days: 30)) {
        out[view.account] = view.balance
      }
    }
    return out
  }

  /// Loyalty numbers for tests: 628000, 9 digits, the Luhn check digit.
  public static let cards: [String] = (0..<20).map { n in
    let body = "628000" + String(format: "%09d", n)
    return body + String(LoyaltyNumber.checkDigit(for: body.utf8.map { $0 - 0x30 }))
  }
}

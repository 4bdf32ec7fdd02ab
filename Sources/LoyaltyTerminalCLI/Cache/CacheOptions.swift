import ArgumentParser
import Foundation
import LoyaltyCore
import PointsCache

/// The cache every points command works on, and how it reports.
public struct CacheOptions: ParsableArguments {
  @Option(help: "The terminal's points cache (an SQLite file; created by the commands that record, if missing).")
  public var cache: String

  @Flag(help: "Print JSON (one object); a refusal prints {\"error\": …, \"reason\": …}.")
  public var json = false

  public init() {}

  /// Opens the cache; `.readOnly` for look-ups, which must work on a read-only file or mount.
  public func open(_ access: PointsCache.Access = .readWrite) throws -> PointsCache {
    do { return try PointsCache(path: cache, access: access) } catch let error as CacheOpenError {
      throw CommandFailure(reason: "cacheUnavailable", message: error.description, exitCode: 2)
    } catch {
      throw CommandFailure(
        reason: "cacheUnavailable", message: "cannot open cache \(cache): \(FailureMessage(error))", exitCode: 2)
    }
  }
}

/// Who records, where and when.
public struct RecordingOptions: ParsableArguments {
  @Option(help: "This terminal's id (e.g. T01).")
  public var terminal: String

  @Option(name: .customLong("operator"), help: "Who operates the terminal (for the audit log).")
  public var operatorName: String = ProcessInfo.processInfo.environment["USER"] ?? "operator"

  @Option(help: "When it happens (UTC, 2026-11-02T09:15:00Z); default now.")
  public var at: UTCInstant?

  public init() {}

  public func validate() throws {
    try validateTerminalID(terminal)
    guard !operatorName.isEmpty, operatorName.count <= 64 else {
      throw ValidationError("--operator must be 1-64 characters")
    }
    // Recorded ahead of the machine's clock, an operation would be refused by HQ at the sync.
    if let at, at > UTCInstant.now.adding(days: 1) {
      throw ValidationError("--at \(at) is more than a day ahead of this machine's clock (\(UTCInstant.now))")
    }
  }

  public var context: OperationContext {
    OperationContext(terminal: terminal, operator: operatorName, at: at ?? .now)
  }
}

/// A refusal or failure to report: one line, or `{"error", "reason"}` with --json.
struct CommandFailure: Error {
  var reason: String
  var message: String
  var exitCode: Int32 = 1
}

/// Runs a points command: prints its result, or its refusal and exits non-zero.
func report(json: Bool, _ body: () throws -> (text: String, object: [String: Any])) throws {
  do {
    let result = try body()
    emit(json ? TapLine.encode(result.object) : result.text)
  } catch let error as RuleError {
    try fail(json: json, CommandFailure(reason: error.reason.rawValue, message: error.message))
  } catch let error as ValidationProblems {
    try fail(
      json: json,
      CommandFailure(
        reason: "invalidProgram",
        message: "program refused:" + (error.problems.count == 1 ? " " : "\n") + error.description))
  } catch let error as CommandFailure {
    try fail(json: json, error)
  } catch {
    try fail(json: json, CommandFailure(reason: "internal", message: "\(FailureMessage(error))", exitCode: 2))
  }
}

private func fail(json: Bool, _ failure: CommandFailure) throws -> Never {
  JSONFailure.report(failure.message, reason: failure.reason, json: json)
  throw ExitCode(failure.exitCode)
}

/// An amount in minor units as the currency writes it (1250, 2 → "12.50 EUR"), exactly.
func money(_ amount: Int64, _ program: LoyaltyProgram) -> String { program.money(amount) }

/// "12.34 EUR or 3 visits to Gold", or "top tier".
func describeNextTier(_ next: NextTier?, _ program: LoyaltyProgram) -> String {
  guard let next else { return "top tier" }
  var ways: [String] = []
  if let spend = next.spendNeeded { ways.append(money(spend, program)) }
  if let visits = next.visitsNeeded { ways.append("\(visits) visit\(visits == 1 ? "" : "s")") }
  return "\(ways.joined(separator: " or ")) to \(next.name)"
}

func nextTierObject(_ next: NextTier?) -> Any {
  guard let next else { return NSNull() }
  var o: [String: Any] = ["name": next.name]
  if let s = next.spendNeeded { o["spendNeeded"] = s }
  if let v = next.visitsNeeded { o["visitsNeeded"] = v }
  return o
}

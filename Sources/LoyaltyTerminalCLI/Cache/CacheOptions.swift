import ArgumentParser
import Foundation
import LoyaltyCLISupport
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
    if let at, at > UTCInstant.wallClock.adding(days: 1) {
      throw ValidationError("--at \(at) is more than a day ahead of this machine's clock (\(UTCInstant.wallClock))")
    }
  }

  public var context: OperationContext {
    OperationContext(terminal: terminal, operator: operatorName, at: at ?? .wallClock)
  }
}

import ArgumentParser
import Foundation
import LedgerFormat
import LoyaltyCore

/// A refusal or failure to report: one line, or `{"error", "reason"}` with --json.
public struct CommandFailure: Error {
  public var reason: String
  public var message: String
  public var exitCode: Int32 = 1

  public init(reason: String, message: String, exitCode: Int32 = 1) {
    self.reason = reason
    self.message = message
    self.exitCode = exitCode
  }
}

/// Runs a points command: prints its result, or its refusal and exits non-zero.
public func report(json: Bool, _ body: () throws -> (text: String, object: [String: Any])) throws {
  do {
    let result = try body()
    emit(json ? JSONLine.encode(result.object) : result.text)
  } catch let error as RuleError {
    try fail(json: json, CommandFailure(reason: error.reason.rawValue, message: error.message))
  } catch let error as ValidationProblems {
    try fail(json: json, ProgramFile.refusal(error))
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

/// Runs a ledger command, turning `LedgerError` into one line (or JSON) and exit status 1.
public func reportLedger(json: Bool, _ body: () throws -> (text: String, object: [String: Any])) throws {
  try report(json: json) {
    do { return try body() } catch let error as LedgerError {
      throw CommandFailure(reason: "ledger", message: error.description)
    }
  }
}

/// `reportLedger` for a body that awaits (a sync over HQ's service, webhook deliveries).
public func reportLedger(json: Bool, _ body: () async throws -> (text: String, object: [String: Any])) async throws {
  let result: Result<(text: String, object: [String: Any]), any Error>
  do { result = .success(try await body()) } catch { result = .failure(error) }
  try reportLedger(json: json) { try result.get() }
}

/// Terminal ids: letters, digits, - and _ (and never "HQ").
public func validateTerminalID(_ id: String) throws {
  if let problem = Identities.terminalIDProblem(id) { throw ValidationError(problem) }
}

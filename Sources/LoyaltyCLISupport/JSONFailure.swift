import ArgumentParser
import Foundation
import LedgerFormat
import LocalFiles
import LoyaltyCore

/// How every command reports a failure: with `--json`, one object `{"error": message, "reason":
/// code}` on stdout (the code stable, for programs to switch on); otherwise the message on stderr.
/// Every JSON error of every command is printed here, so none lacks either key.
public enum JSONFailure {
  /// The object a JSON failure prints (a refused tap in `watch` adds its reader and ATR to it).
  public static func object(_ message: String, reason: String) -> [String: Any] {
    ["error": message, "reason": reason]
  }

  /// Prints a failure, as JSON or as a line on stderr.
  public static func report(_ message: String, reason: String, json: Bool) {
    if json { emit(JSONLine.encode(object(message, reason: reason))) } else { printError(message) }
  }

  /// The stable code of an error that reached the command line without one of its own.
  static func reason(for error: any Error) -> String {
    switch error {
    case let error as CommandFailure: error.reason
    case let error as RuleError: error.reason.rawValue
    case let error as any ReportedError: error.failureReason
    case is ValidationError: "invalidArgument"
    case is ValidationProblems: "invalidDocument"
    case is LocalFileError: "unreadableFile"
    case is LedgerError: "ledger"
    case is DecodingError: "invalidJSON"
    case is CocoaError: "fileError"
    default: (error as NSError).domain == NSCocoaErrorDomain ? "fileError" : "internal"
    }
  }
}

/// An error of a module this one does not import (a reader's, a profiles file's) that names its
/// own stable code, and its words, when it reaches the command line.
public protocol ReportedError: Error {
  /// The code a JSON failure names (`"reason"`).
  var failureReason: String { get }
  /// The one line a failure prints; by default the error's description.
  var failureMessage: String { get }
}

extension ReportedError {
  public var failureMessage: String { String(describing: self) }
}

/// A command that takes `--json`: a failure it does not report itself (a bad profiles file, a
/// cache without a program, an unknown reader) is still printed as a JSON error.
public protocol JSONReporting {
  var jsonOutput: Bool { get }
}

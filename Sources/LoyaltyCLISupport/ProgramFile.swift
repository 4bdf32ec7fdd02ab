import Foundation
import LoyaltyCore

/// A program file named on a command line, read as `ProgramParser` reads it; a refusal names the
/// file, then every problem with its path (one line when there is one).
public enum ProgramFile {
  public static func parse(_ data: Data, path: String) throws -> LoyaltyProgram {
    do throws(ValidationProblems) { return try ProgramParser.parse(data) } catch {
      throw refusal(error, path: path)
    }
  }

  /// The command's refusal of a program: "program [PATH] refused:" and its problems.
  static func refusal(_ problems: ValidationProblems, path: String? = nil) -> CommandFailure {
    CommandFailure(
      reason: "invalidProgram",
      message: "program \(path.map { $0 + " " } ?? "")refused:" + (problems.problems.count == 1 ? " " : "\n")
        + problems.description)
  }
}

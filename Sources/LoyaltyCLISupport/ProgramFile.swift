import Foundation
import LoyaltyCore

/// A program file named on a command line, read as `ProgramParser` reads it; a refusal names the
/// file, then every problem with its path (one line when there is one).
public enum ProgramFile {
  public static func parse(_ data: Data, path: String) throws -> LoyaltyProgram {
    do throws(ValidationProblems) { return try ProgramParser.parse(data) } catch {
      throw CommandFailure(
        reason: "invalidProgram",
        message: "program \(path) refused:" + (error.problems.count == 1 ? " " : "\n") + error.description)
    }
  }
}

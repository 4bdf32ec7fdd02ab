/// Why a ledger (or a key file) was refused: the line that is wrong and why.
public struct LedgerError: Error, Hashable, Sendable, CustomStringConvertible {
  /// 1-based line number, 0 when the problem is not a line (a key file, an argument).
  public var line: Int
  public var reason: String

  public init(line: Int, _ reason: String) {
    self.line = line
    self.reason = reason
  }

  public var description: String { line > 0 ? "line \(line): \(reason)" : reason }
}

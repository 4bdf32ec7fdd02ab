import CardReader
import Foundation
import LoyaltyCLISupport

/// `--reader NAME` checked against the readers the system lists: a name that is not among them is
/// an error naming the readers seen, rather than a wait for a tap that can never come. The check is
/// made once the reader list is first obtained: while the reader service cannot be reached, it
/// waits for the service to come back.
enum ReaderNameCheck {
  /// The failure for `name` among the readers `seen`, or nil when it is one of them.
  static func failure(_ name: String, among seen: [String]) -> CommandFailure? {
    guard !seen.contains(name) else { return nil }
    guard !seen.isEmpty else {
      return CommandFailure(
        reason: "unknownReader",
        message: "no reader \"\(name)\": no readers are connected (plug one in; loyalty-terminal readers lists them)")
    }
    let list = seen.map { "\"\($0)\"" }.joined(separator: ", ")
    let near = seen.filter { $0.localizedCaseInsensitiveContains(name) }
    let hint =
      near.count == 1 ? "did you mean \"\(near[0])\"? give the whole name" : "give one exactly as listed"
    return CommandFailure(reason: "unknownReader", message: "no reader \"\(name)\"; the readers are \(list) (\(hint))")
  }

  /// Checks `name` against the readers listed now. Returns true when it is one of them, false when
  /// the list cannot be had yet (the reader service is unreachable: check again when it is back);
  /// throws the failure when it is not.
  static func check(_ name: String, on system: any CardReaderSystem) async throws -> Bool {
    let seen: [ReaderStatus]
    do { seen = try await system.readers() } catch { return false }
    if let failure = failure(name, among: seen.map(\.name)) { throw failure }
    return true
  }
}

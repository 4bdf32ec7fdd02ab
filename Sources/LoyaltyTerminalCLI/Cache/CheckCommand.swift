import ArgumentParser
import LoyaltyCLISupport
import NightlySync
import PointsCache

/// `loyalty-terminal check`: the cache's own consistency (each row's balance, card and receipt
/// index against its state; its state against HQ's with this counter's unsynced entries on top)
/// and the whole replica against the epoch it is at; accounts looked up since the last sync against
/// HQ's signed answers. For a firmware engineer or support who
/// suspects the file; the counter does not need it to run.
struct CheckCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "check",
    abstract: "Check the cache: every row against its state, every state against HQ's epoch (reads every account).")

  @OptionGroup var cache: CacheOptions

  func run() throws {
    try report(json: cache.json) {
      let store = try cache.open(.readOnly)
      var problems = try store.consistencyProblems()
      if let problem = try store.replicaProblem() { problems.append(problem) }
      // Accounts looked up since the last sync: each as HQ answered it (its signature).
      problems += try LookedUpCheck.problems(in: store)
      guard problems.isEmpty else {
        throw CommandFailure(
          reason: "cacheInconsistent",
          message: "cache \(cache.cache): \(problems.count) problem\(problems.count == 1 ? "" : "s"):\n"
            + problems.joined(separator: "\n"))
      }
      let epoch = try store.replicaPosition()
      let text =
        epoch.map {
          "cache \(cache.cache): consistent; its \($0.accounts) account state\($0.accounts == 1 ? "" : "s") give\($0.accounts == 1 ? "s" : "") epoch \($0.seq) "
            + "(digest, count and \($0.liability) points outstanding)"
        } ?? "cache \(cache.cache): consistent (no states from HQ yet)"
      var object: [String: Any] = ["cache": cache.cache, "consistent": true]
      if let epoch { object["epoch"] = ["seq": epoch.seq, "accounts": epoch.accounts, "liability": epoch.liability] }
      return (text, object)
    }
  }
}

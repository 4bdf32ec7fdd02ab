import ArgumentParser
import Foundation

/// The open-files limit `hq serve` runs under, and the connections that fit in it. systemd gives
/// a service 1 024 descriptors (soft) by default: idle connections could take them all, and the
/// ledger could then not even be opened for an admission. So the service raises its soft limit
/// to the hard one, and takes only as many connections as leave room for the ledger's files;
/// more wait in the listen backlog until one closes (the idle timeout closes the silent ones).
enum DescriptorLimit {
  /// Kept for the ledger, its lock, answers and nonce files, the event loops and the logs.
  static let reserved = 64
  /// The default ceiling on connections, however high the limit.
  static let defaultMaximum = 4_096

  /// Raises the soft RLIMIT_NOFILE to the hard limit; returns the soft limit now in force.
  static func raiseToHard() -> Int {
    #if os(Linux)
      let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    #else
      let resource = RLIMIT_NOFILE
    #endif
    let infinity = rlim_t.max  // RLIM_INFINITY, ((rlim_t) -1), which Swift does not import
    var limit = rlimit()
    guard getrlimit(resource, &limit) == 0 else { return 1_024 }
    // An unlimited hard limit is not a valid soft one for descriptors: the kernel's ceiling is.
    let target = limit.rlim_max == infinity ? rlim_t(1 << 20) : limit.rlim_max
    if limit.rlim_cur != infinity, limit.rlim_cur < target {
      var raised = limit
      raised.rlim_cur = target
      if setrlimit(resource, &raised) == 0 { limit = raised }
    }
    return limit.rlim_cur == infinity ? Int.max : Int(clamping: limit.rlim_cur)
  }

  /// The connections to take at once under `limit` descriptors: each may hold a second one (a
  /// download reads the ledger), after the reserved ones. `asked` (--max-connections) must fit.
  static func connections(asked: Int?, limit: Int) throws -> Int {
    let fitting = max(1, (limit - reserved) / 2)
    guard let asked else { return min(fitting, defaultMaximum) }
    guard asked <= fitting else {
      throw ValidationError(
        "--max-connections \(asked) does not fit in the open-files limit of \(limit) (each connection may read the "
          + "ledger too, and \(reserved) are kept for its files): give at most \(fitting), or raise the hard limit "
          + "(LimitNOFILE= in the service's unit)")
    }
    return asked
  }
}

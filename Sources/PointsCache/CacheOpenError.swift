/// A cache file that cannot be used, and why (a directory, missing, a newer schema).
public struct CacheOpenError: Error, CustomStringConvertible, Sendable {
  /// The file that was asked for.
  public var path: String
  /// What is wrong with it, and what to do where there is something to do.
  public var problem: String

  public var description: String { "cannot open cache \(path): \(problem)" }
}

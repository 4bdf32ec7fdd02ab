import HTTPRetry

/// HQ's service refused a request, with its reason: a 4xx is final (the same request would be
/// refused again), a 5xx may pass later.
public struct HQRefusal: Error, CustomStringConvertible {
  public var status: Int
  public var reason: String
  /// HQ's short name for the refusal (`restored`, `notItsBatch`, …), when it gave one.
  public var code: String? = nil
  public var retryable: Bool { RetryPolicy.transientStatus(status) }
  public var description: String { "HQ refused the request (HTTP \(status)): \(reason)" }
}

/// "HQ" answered with a redirect (3xx): a terminal never follows one (its signed batch would be
/// sent wherever it points) nor retries it.
public struct HQRedirect: Error, CustomStringConvertible {
  public var url: String
  public var method: String
  public var path: String
  public var status: Int
  /// The `Location` it points to, when it says.
  public var location: String?
  public var description: String {
    "HQ's service at \(url) answered \(method) \(path) with \(status) redirect\(location.map { " to \($0)" } ?? ""): "
      + "this terminal does not follow redirects (nothing was sent there); give HQ's final address with --hq"
  }
}

/// A set of latencies in nanoseconds, with the percentiles the benchmark prints.
struct LatencySample: Sendable {
  private(set) var sorted: [Int64] = []

  init(_ values: [Int64] = []) { sorted = values.sorted() }

  mutating func append(contentsOf other: [Int64]) {
    sorted = (sorted + other).sorted()
  }

  var count: Int { sorted.count }

  /// Nearest-rank percentile, in nanoseconds.
  func percentile(_ p: Double) -> Int64 {
    guard !sorted.isEmpty else { return 0 }
    let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
    return sorted[min(max(rank, 1), sorted.count) - 1]
  }

  var p50: Int64 { percentile(50) }
  var p99: Int64 { percentile(99) }
}

extension Duration {
  /// Whole nanoseconds.
  var nanoseconds: Int64 {
    let (s, atto) = components
    return s * 1_000_000_000 + atto / 1_000_000_000
  }
}

/// Formats nanoseconds as milliseconds with three decimals.
func ms(_ ns: Int64) -> String {
  let micros = (ns + 500) / 1000
  let whole = micros / 1000
  let frac = micros % 1000
  return "\(whole).\(String(repeating: "0", count: 3 - String(frac).count))\(frac)"
}

/// A ratio a/b with two decimals (display only).
func ratio(_ a: Int64, _ b: Int64) -> String {
  guard b > 0 else { return "n/a" }
  let hundredths = (a * 100 + b / 2) / b
  let frac = hundredths % 100
  return "\(hundredths / 100).\(frac < 10 ? "0" : "")\(frac)"
}

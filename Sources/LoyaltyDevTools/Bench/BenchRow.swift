/// One line of the benchmark table: a figure, its baseline from the same run, and the ratio.
struct BenchRow: Codable {
  var name: String
  var samples: Int
  var result: String
  var baseline: String
  var ratio: String
  var peakRSSKiB: Int?
  /// The raw numbers behind the line (nanoseconds, counts, KiB), for the JSON file.
  var metrics: [String: Int64]

  /// A latency line: p50/p99, and ratios against a baseline's p50/p99.
  static func latency(
    name: String, samples: Int, p50Ns: Int64, p99Ns: Int64, baseline: String, ratioP50: String, ratioP99: String,
    peakRSSKiB: Int?
  ) -> BenchRow {
    BenchRow(
      name: name, samples: samples, result: "p50 \(ms(p50Ns)) ms, p99 \(ms(p99Ns)) ms", baseline: baseline,
      ratio: baseline == "-" ? "1.00" : "\(ratioP50) (p50), \(ratioP99) (p99)", peakRSSKiB: peakRSSKiB,
      metrics: ["p50Ns": p50Ns, "p99Ns": p99Ns])
  }

  static let header = """
    | benchmark | samples | result | baseline (same run) | ratio | peak RSS |
    |---|---:|---|---|---:|---:|
    """

  var markdown: String {
    "| \(name) | \(samples) | \(result) | \(baseline) | \(ratio) | \(peakRSSKiB.map { "\($0) KiB" } ?? "") |"
  }
}

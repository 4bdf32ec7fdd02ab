/// Partial replicas: a chain too big for every counter to hold every cardholder names regions
/// (sets of shops). A terminal in a region holds the accounts active there within `days` days —
/// enrolled, or with any entry a terminal of the region recorded — and not the others; a card it
/// does not hold earns provisionally, as any card a counter does not know. A terminal in no region
/// holds every account.
///
///     "regions": {"days": 30, "shops": {"north": ["T01", "T02"], "south": ["T03"]}}
public struct ProgramRegions: Sendable, Hashable {
  /// How long an account stays in a region after its last entry there, in whole UTC days.
  public var days: Int
  /// Each region's terminals. A terminal is in one region at most.
  public let shops: [String: [String]]
  /// Each terminal's region (what `shops` says, by terminal).
  private let regionOf: [String: String]

  public init(days: Int, shops: [String: [String]]) {
    self.days = days
    self.shops = shops
    var regionOf: [String: String] = [:]
    for (name, terminals) in shops { for t in terminals where regionOf[t] == nil { regionOf[t] = name } }
    self.regionOf = regionOf
  }

  /// The region `terminal` is in, or nil (it holds every account).
  public func region(of terminal: String) -> String? { regionOf[terminal] }

  /// Whether an account whose last entry in a region was on UTC day `lastDay` is in it on `day`.
  public func holds(lastDay: Int64, on day: Int64) -> Bool { lastDay > day - Int64(days) }

  /// Why `name` is not a region name, or nil: 1-32 lowercase ASCII letters, digits or `-`.
  public static func nameProblem(_ name: String) -> String? {
    guard !name.isEmpty, name.utf8.count <= 32,
      name.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x7A).contains($0) || $0 == 0x2D })
    else { return "region name \"\(name)\" must be 1-32 lowercase letters, digits or -" }
    return nil
  }
}

extension ProgramParser {
  /// The `regions` object: `days` (1…3660) and `shops` (region name → terminal ids, each terminal in
  /// one region at most).
  static func regions(_ value: JSONValue?, _ w: DocumentWalker) -> ProgramRegions? {
    guard let value, let r = w.object(value, "regions", required: ["days", "shops"]) else { return nil }
    let days = w.integer(r["days"], "regions.days", in: 1...3660)
    var shops: [String: [String]] = [:]
    var seen: [String: String] = [:]
    if let value = r["shops"] {
      guard case .object(let fields) = value, !fields.isEmpty else {
        w.problem("regions.shops", "must be an object of region: [terminal ids], naming at least one region")
        return nil
      }
      for (name, list) in fields.sorted(by: { $0.key < $1.key }) {
        let path = "regions.shops.\(name)"
        if let problem = ProgramRegions.nameProblem(name) { w.problem(path, problem) }
        var terminals: [String] = []
        for (i, item) in (w.array(list, path) ?? []).enumerated() {
          guard let t = w.string(item, "\(path)[\(i)]", maxLength: 64) else { continue }
          if let problem = Identities.terminalIDProblem(t) {
            w.problem("\(path)[\(i)]", problem)
          } else if let other = seen[t] {
            w.problem("\(path)[\(i)]", "terminal \(t) is already in region \(other): a terminal is in one region")
          } else {
            seen[t] = name
            terminals.append(t)
          }
        }
        if terminals.isEmpty { w.problem(path, "a region needs at least one terminal") }
        shops[name] = terminals
      }
    }
    guard let days else { return nil }
    return ProgramRegions(days: Int(days), shops: shops)
  }
}

import Foundation
import LoyaltyCore

/// "12.34 EUR or 3 visits to Gold", or "top tier".
public func describeNextTier(_ next: NextTier?, _ program: LoyaltyProgram) -> String {
  guard let next else { return "top tier" }
  var ways: [String] = []
  if let spend = next.spendNeeded { ways.append(program.money(spend)) }
  if let visits = next.visitsNeeded { ways.append("\(visits) visit\(visits == 1 ? "" : "s")") }
  return "\(ways.joined(separator: " or ")) to \(next.name)"
}

/// The next tier as JSON: its name and what it needs, or null at the top.
public func nextTierObject(_ next: NextTier?) -> Any {
  guard let next else { return NSNull() }
  var o: [String: Any] = ["name": next.name]
  if let s = next.spendNeeded { o["spendNeeded"] = s }
  if let v = next.visitsNeeded { o["visitsNeeded"] = v }
  return o
}

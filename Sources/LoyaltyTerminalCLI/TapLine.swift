import CardIdentification
import CardReader
import Foundation
import LoyaltyCLISupport

/// The one line `watch` prints per tap, for people or (with --json) for programs.
enum TapLine {
  static func text(_ tap: TapResult) -> String {
    let ms = milliseconds(tap.elapsed)
    switch tap.outcome {
    case .success(let id):
      return "\(tap.reader): \(id.id)  [\(id.source.rawValue), \(id.cardType), \(ms) ms]"
    case .failure(let error):
      return "\(tap.reader): card refused: \(error.message)"
    }
  }

  static func json(_ tap: TapResult) -> String {
    var object: [String: Any] = ["reader": tap.reader, "atr": tap.atr, "cardType": tap.cardType]
    switch tap.outcome {
    case .success(let id):
      object["id"] = id.id
      object["source"] = id.source.rawValue
      object["elapsedMs"] = milliseconds(tap.elapsed)
    case .failure(let error):
      object.merge(JSONFailure.object(error.message, reason: error.reason.rawValue)) { _, failure in failure }
      object["elapsedMs"] = milliseconds(tap.elapsed)
    }
    return JSONLine.encode(object)
  }

  /// Milliseconds with three decimals (a Double only for display).
  static func milliseconds(_ d: Duration) -> Double {
    let (s, atto) = d.components
    let micros = s * 1_000_000 + atto / 1_000_000_000_000
    return Double(micros) / 1000
  }
}

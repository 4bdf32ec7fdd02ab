import Foundation

/// Parses and validates a program definition as a whole: anything wrong refuses the program and
/// every problem is listed (unknown fields, negative or malformed rates, tier thresholds that do
/// not rise, bad dates, promotions whose `until` is not after `from`, …).
public enum ProgramParser {
  static let pointsRange: ClosedRange<Int64> = 0...1_000_000_000
  static let moneyRange: ClosedRange<Int64> = 0...1_000_000_000_000

  public static func parse(_ data: Data) throws(ValidationProblems) -> LoyaltyProgram {
    try parse(JSONValue.parse(data))
  }

  public static func parse(_ document: JSONValue) throws(ValidationProblems) -> LoyaltyProgram {
    let w = DocumentWalker()
    let top =
      w.object(
        document, "",
        required: [
          "version", "currency", "minorUnits", "earn", "tiers", "tierWindowDays", "expiryDays", "catalogue", "limits",
        ],
        optional: [
          "promotions", "referral", "expiryWarningDays", "reengageAfterDays", "pendingDays", "minVisitAmount",
          "refundDays", "regions", "format",
          "cardProof", "fraud",
        ]) ?? [:]
    let version = w.integer(top["version"], "version", in: 1...Int64(Int32.max))
    // A program that names no format is format 1 (read as it always was, never refused).
    var format: Int64? = 1
    if let value = top["format"] {
      format = nil
      switch value {
      case .integer(let f) where LoyaltyProgram.formats.contains(Int(clamping: f)):
        format = f
      case .integer(let f) where f > Int64(LoyaltyProgram.formats.upperBound):
        w.problem(
          "format",
          "\(f) is newer than this build reads (1 or 2): update the terminals and HQ first, or write the program "
            + "as format 2")
      case .integer(let f):
        w.problem("format", "must be 1 or 2 (a program without format is 1), is \(f)")
      default:
        w.problem("format", "must be 1 or 2, a number without quotes, not \(value.typeName)")
      }
    }
    let currency = w.string(top["currency"], "currency")
    if let currency, !(currency.count == 3 && currency.allSatisfy({ $0.isASCII && $0.isUppercase })) {
      w.problem("currency", "\"\(currency)\" is not an ISO 4217 code like EUR")
    }
    let minorUnits = w.integer(top["minorUnits"], "minorUnits", in: 0...4)

    let earn = w.object(top["earn"], "earn", required: ["pointsPerUnit"], optional: ["categories"]) ?? [:]
    let pointsPerUnit = w.decimal(earn["pointsPerUnit"], "earn.pointsPerUnit")
    var rates: [String: Decimal4] = [:]
    if let categories = earn["categories"] {
      if case .object(let fields) = categories {
        for (name, value) in fields {
          if let rate = w.decimal(value, "earn.categories.\(name)") { rates[name] = rate }
        }
      } else {
        w.problem("earn.categories", "must be an object of category: rate")
      }
    }

    var promotions: [LoyaltyProgram.Promotion] = []
    for (i, item) in (w.array(top["promotions"], "promotions") ?? []).enumerated() {
      let path = "promotions[\(i)]"
      guard let p = w.object(item, path, required: ["id", "from", "until", "multiplier"], optional: ["categories"])
      else { continue }
      let id = w.string(p["id"], "\(path).id")
      let from = w.instant(p["from"], "\(path).from")
      let until = w.instant(p["until"], "\(path).until")
      let multiplier = w.decimal(p["multiplier"], "\(path).multiplier")
      var categories: [String]?
      if let list = w.array(p["categories"], "\(path).categories") {
        categories = list.enumerated().compactMap { w.string($1, "\(path).categories[\($0)]") }
      }
      if let from, let until, until <= from {
        w.problem("\(path).until", "\(until) is not after from \(from)")
      }
      if let id, promotions.contains(where: { $0.id == id }) { w.problem("\(path).id", "duplicate id \"\(id)\"") }
      if let id, let from, let until, let multiplier {
        promotions.append(.init(id: id, from: from, until: until, categories: categories, multiplier: multiplier))
      }
    }

    var tiers: [LoyaltyProgram.Tier] = []
    let tierList = w.array(top["tiers"], "tiers") ?? []
    if top["tiers"] != nil && tierList.isEmpty { w.problem("tiers", "needs at least the default tier") }
    for (i, item) in tierList.enumerated() {
      let path = "tiers[\(i)]"
      guard let t = w.object(item, path, required: ["name", "multiplier"], optional: ["minSpend", "minVisits"]) else {
        continue
      }
      let name = w.string(t["name"], "\(path).name")
      let multiplier = w.decimal(t["multiplier"], "\(path).multiplier")
      let minSpend = w.integer(t["minSpend"], "\(path).minSpend", in: moneyRange)
      let minVisits = w.integer(t["minVisits"], "\(path).minVisits", in: 0...1_000_000)
      if i == 0 && (t["minSpend"] != nil || t["minVisits"] != nil) {
        w.problem(path, "the first tier is the default and has no thresholds")
      }
      if i > 0 && t["minSpend"] == nil && t["minVisits"] == nil {
        w.problem(path, "needs minSpend or minVisits")
      }
      if let name, tiers.contains(where: { $0.name == name }) {
        w.problem("\(path).name", "duplicate tier \"\(name)\"")
      }
      if let previous = tiers.last, i > 1 {
        if let a = previous.minSpend, let b = minSpend, b <= a {
          w.problem("\(path).minSpend", "\(b) does not rise above \(previous.name)'s \(a)")
        }
        if let a = previous.minVisits, let b = minVisits, b <= a {
          w.problem("\(path).minVisits", "\(b) does not rise above \(previous.name)'s \(a)")
        }
      }
      if let name, let multiplier {
        tiers.append(
          .init(name: name, minSpend: minSpend, minVisits: minVisits.map { Int($0) }, multiplier: multiplier))
      }
    }
    let tierWindowDays = w.integer(top["tierWindowDays"], "tierWindowDays", in: 1...3660)
    let minVisitAmount = top["minVisitAmount"].map { w.integer($0, "minVisitAmount", in: moneyRange) } ?? 0
    let expiryDays = w.integer(top["expiryDays"], "expiryDays", in: 1...36_600)
    let warningDays = top["expiryWarningDays"].map { w.integer($0, "expiryWarningDays", in: 1...3660) } ?? 30
    let pendingDays = top["pendingDays"].map { w.integer($0, "pendingDays", in: 0...3650) } ?? 0
    if let pendingDays, let expiryDays, pendingDays >= expiryDays {
      w.problem(
        "pendingDays", "\(pendingDays) must be shorter than expiryDays (\(expiryDays)): points would expire pending")
    }
    let refundDays: Int64? = top["refundDays"].flatMap { w.integer($0, "refundDays", in: 1...3660) }
    if let refundDays, let pendingDays, refundDays < pendingDays {
      w.problem("refundDays", "\(refundDays) must be at least pendingDays (\(pendingDays)): a return would be refused")
    }
    let reengageDays = top["reengageAfterDays"].map { w.integer($0, "reengageAfterDays", in: 1...3660) } ?? 60

    var referral: LoyaltyProgram.Referral?
    if let value = top["referral"],
      let r = w.object(
        value, "referral", required: ["referrerPoints", "refereePoints", "minFirstPurchase"],
        optional: ["maxReferralsPerReferrer", "periodDays"])
    {
      let a = w.integer(r["referrerPoints"], "referral.referrerPoints", in: pointsRange)
      let b = w.integer(r["refereePoints"], "referral.refereePoints", in: pointsRange)
      let c = w.integer(r["minFirstPurchase"], "referral.minFirstPurchase", in: moneyRange)
      let bound = referrerBound(r, w)
      if let a, let b, let c {
        referral = .init(
          referrerPoints: a, refereePoints: b, minFirstPurchase: c, maxReferralsPerReferrer: bound?.most,
          periodDays: bound?.days)
      }
    }

    var catalogue: [LoyaltyProgram.CatalogueItem] = []
    for (i, item) in (w.array(top["catalogue"], "catalogue") ?? []).enumerated() {
      let path = "catalogue[\(i)]"
      guard let c = w.object(item, path, required: ["id", "kind", "points", "name"]) else { continue }
      let id = w.string(c["id"], "\(path).id")
      let kindName = w.string(c["kind"], "\(path).kind")
      let kind = kindName.flatMap { LoyaltyProgram.ItemKind(rawValue: $0) }
      if let kindName, kind == nil {
        w.problem(
          "\(path).kind",
          "\"\(kindName)\" is not one of \(LoyaltyProgram.ItemKind.allCases.map(\.rawValue).joined(separator: ", "))")
      }
      let points = w.integer(c["points"], "\(path).points", in: 1...pointsRange.upperBound)
      let name = w.string(c["name"], "\(path).name")
      if let id, catalogue.contains(where: { $0.id == id }) { w.problem("\(path).id", "duplicate id \"\(id)\"") }
      if let id, let kind, let points, let name {
        catalogue.append(.init(id: id, kind: kind, points: points, name: name))
      }
    }

    let l =
      w.object(
        top["limits"], "limits", required: ["debounceSeconds", "maxEarnsPerCardPerHour", "offlineRedeemPointsPerDay"],
        optional: ["maxLineAmount", "maxPurchaseAmount", "maxEarnsPerCardPerDay"])
      ?? [:]
    let maxLine = l["maxLineAmount"].flatMap { w.integer($0, "limits.maxLineAmount", in: 1...moneyRange.upperBound) }
    let maxPurchase = l["maxPurchaseAmount"].flatMap {
      w.integer($0, "limits.maxPurchaseAmount", in: 1...moneyRange.upperBound)
    }
    let cardProof = top["cardProof"].flatMap {
      w.object($0, "cardProof", required: [], optional: ["unprovenRedeemPointsPerDay"])
    }
    let unprovenCap = cardProof?["unprovenRedeemPointsPerDay"].flatMap {
      w.integer($0, "cardProof.unprovenRedeemPointsPerDay", in: pointsRange)
    }
    let earnsPerDay = l["maxEarnsPerCardPerDay"].flatMap {
      w.integer($0, "limits.maxEarnsPerCardPerDay", in: maxEarnsPerCardPerDayRange)
    }
    let debounce = w.integer(l["debounceSeconds"], "limits.debounceSeconds", in: 0...86_400)
    let maxEarns = w.integer(l["maxEarnsPerCardPerHour"], "limits.maxEarnsPerCardPerHour", in: 1...10_000)
    let redeemCap = w.integer(l["offlineRedeemPointsPerDay"], "limits.offlineRedeemPointsPerDay", in: pointsRange)
    let fraud = LoyaltyProgram.FraudThresholds.parse(top["fraud"], w)
    let regions = Self.regions(top["regions"], w)

    guard w.problems.isEmpty, let version, let currency, let minorUnits, let pointsPerUnit, !tiers.isEmpty,
      let tierWindowDays, let expiryDays, let debounce, let maxEarns, let redeemCap
    else {
      throw ValidationProblems(w.problems.isEmpty ? ["program: incomplete"] : w.problems)
    }
    var program = LoyaltyProgram(
      version: Int(version), currency: currency, minorUnits: Int(minorUnits), pointsPerUnit: pointsPerUnit,
      categoryRates: rates, promotions: promotions, tiers: tiers, tierWindowDays: Int(tierWindowDays),
      referral: referral,
      expiryDays: Int(expiryDays), catalogue: catalogue,
      limits: .init(
        debounceSeconds: debounce, maxEarnsPerCardPerHour: Int(maxEarns), offlineRedeemPointsPerDay: redeemCap))
    program.expiryWarningDays = Int(warningDays ?? 30)
    program.reengageAfterDays = Int(reengageDays ?? 60)
    program.pendingDays = Int(pendingDays ?? 0)
    // A program without refundDays (written before states were bounded) is read with the tier's
    // window: its receipts are kept exactly as long as they count for the tier.
    program.refundDays = Int(refundDays ?? tierWindowDays)
    program.minVisitAmount = minVisitAmount ?? 0
    program.format = Int(format ?? 1)
    program.limits.maxLineAmount = maxLine
    program.limits.maxPurchaseAmount = maxPurchase
    if cardProof != nil { program.cardProof = .init(unprovenRedeemPointsPerDay: unprovenCap) }
    program.fraud = fraud
    program.regions = regions
    program.limits.maxEarnsPerCardPerDay = earnsPerDay.map { Int($0) }
    return program
  }
}

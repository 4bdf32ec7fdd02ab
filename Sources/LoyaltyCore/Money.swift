/// Amounts in minor units written as the program's currency writes them, exactly (no floating
/// point): the one formatter the counter's display, receipts, refusals and the command line use.
extension LoyaltyProgram {
  /// `amount` minor units with the currency: 1250 with 2 minor units → "12.50 EUR".
  public func money(_ amount: Int64) -> String { Self.money(amount, minorUnits: minorUnits, currency: currency) }

  /// The minor units money is written with while no program is published.
  public static let defaultMinorUnits = 2

  /// `amount` minor units as `program` writes them (its currency unless `withCurrency` is false),
  /// or with the default minor units and no currency when there is no program yet.
  public static func money(_ amount: Int64, in program: LoyaltyProgram?, withCurrency: Bool = true) -> String {
    money(
      amount, minorUnits: program?.minorUnits ?? defaultMinorUnits, currency: withCurrency ? program?.currency : nil)
  }

  /// `amount` minor units as a decimal, with `currency` after it when given.
  public static func money(_ amount: Int64, minorUnits: Int, currency: String?) -> String {
    let digits = max(0, minorUnits)
    let magnitude = String(amount.magnitude)
    let padded = String(repeating: "0", count: max(0, digits + 1 - magnitude.count)) + magnitude
    let number = digits > 0 ? "\(padded.dropLast(digits)).\(padded.suffix(digits))" : padded
    let signed = (amount < 0 ? "-" : "") + number
    guard let currency, !currency.isEmpty else { return signed }
    return signed + " " + currency
  }
}

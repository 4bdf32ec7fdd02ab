import LoyaltyCore

/// A card named on the command line, read as `CardID` reads what an operator types: its kind
/// decided by length (16 digits a loyalty number; 8, 14 or 20 hex characters a UID, digits only
/// included), or said outright (`uid:04a1b2c3d4e5f6`, `number:6280 0012 3456 7895`); lower-case
/// hex and grouped numbers taken. The command gets the canonical text; text that is no card is
/// passed on as typed, for the rules to refuse in one line naming what is wrong (as a card read
/// from a file or a scanner is).
public enum CardArgument {
  public static let help =
    "The card: a 16-digit loyalty number or a chip UID in hex (4, 7 or 10 bytes); uid:HEX or number:DIGITS say which."

  public static func parse(_ text: String) -> String {
    (try? CardID(parsing: text).text) ?? text
  }
}

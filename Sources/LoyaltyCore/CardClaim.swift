/// Which claim on a card stands when the chain holds more than one: a card enrolled at one
/// counter and linked to another account at a second, both offline (neither knew the other's).
/// Both are admitted, so neither counter's earns on the card are lost, and the card's points go
/// where this rule says, among the claims a reader has seen:
/// - an enrolment stands (the card's own account, found by the id derived from the card, so a
///   counter's replica tells it from the states alone, in whatever order they arrive);
/// - among links only, the first in ledger order.
///
/// A counter's own claim stands for its own entries, before and after it learns the other
/// (`AuditReplay.known`, `CardIndex.facts`): it decided on it, and a counter in a region may not
/// hold the other claim's account at all. A card blocked on any claim's account is refused at a
/// counter that holds every account; at a region's counter, on the account it decides on.
public enum CardClaim {
  /// The claim that stands among `claims` (in ledger order), or nil when there is none.
  public static func standing<Claim>(_ claims: some Sequence<Claim>, isEnrolment: (Claim) -> Bool) -> Claim? {
    var firstLink: Claim?
    for claim in claims {
      if isEnrolment(claim) { return claim }
      if firstLink == nil { firstLink = claim }
    }
    return firstLink
  }
}

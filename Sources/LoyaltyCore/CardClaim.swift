/// Which claim on a card stands when the chain holds more than one: a card enrolled at one
/// counter and linked to another account at a second, both offline (neither knew the other's).
/// Both are admitted, so neither counter's earns on the card are lost, and the card's points go
/// where this rule says, among the claims a reader sees:
/// - an enrolment stands (the card's own account, found by the id derived from the card, so a
///   counter's replica tells it from the states alone, in whatever order they arrive): once a
///   counter has synced both claims, its next entries on the card go to the enrolment's account,
///   as everyone else's do;
/// - else a counter's own link stands for its own entries (two links of one card, made offline:
///   its cache keeps the link it made);
/// - else the first link in ledger order.
///
/// A card blocked on any claim's account is blocked (`AuditReplay.known`, `CardIndex.facts`): a
/// card reported lost at one counter is refused wherever it is presented.
public enum CardClaim {
  /// The claim that stands among `claims` (in ledger order), or nil when there is none.
  /// `isOwn`: a claim the deciding counter made itself.
  public static func standing<Claim>(
    _ claims: some Sequence<Claim>, isEnrolment: (Claim) -> Bool, isOwn: (Claim) -> Bool = { _ in false }
  ) -> Claim? {
    var own: Claim?
    var firstLink: Claim?
    for claim in claims {
      if isEnrolment(claim) { return claim }
      if own == nil, isOwn(claim) { own = claim }
      if firstLink == nil { firstLink = claim }
    }
    return own ?? firstLink
  }
}

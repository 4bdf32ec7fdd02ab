import Crypto
import LoyaltyCore
import Testing

/// Card-present proof in the audit: an account whose card signs is spent only with the card's
/// signature over that very entry; one whose cards cannot sign, within the program's daily bound.
extension AuditReplayTests {
  /// The card's key pair, as its raw scalar (the key type is not `Sendable`).
  static let cardScalar = Array(P256.Signing.PrivateKey().rawRepresentation)
  static var cardKey: P256.Signing.PrivateKey { try! P256.Signing.PrivateKey(rawRepresentation: cardScalar) }

  var account: String { Identities.accountID(enrolledWith: Self.card) }

  /// The card enrolled at T01 with its public key, then 40 points earned.
  mutating func enrolSigningCardAndEarn() throws {
    var enrolment = try enrolment(basis: 6)
    enrolment.data = try CardProof.publicKeyText(Array(Self.cardKey.publicKey.x963Representation))
    #expect(batch(enrolment) == nil)
    #expect(batch(try earn(basis: 6)) == nil)
    #expect(audit.accounts[account]?.balance == 40)
  }

  /// T01's redemption of a coffee (30 points), decided as its counter does, unsigned.
  func coffee(sequence: Int64, minutes: Int64, program: LoyaltyProgram = program) throws -> Entry {
    let card = Self.card
    let account = Identities.accountID(enrolledWith: card)
    var e = try Decisions.redeem(
      card: CardFacts(card: card, account: account, blocked: false), cardID: card,
      account: audit.accounts[account]!, item: "coffee", redeemedTodayHere: 0, sequence: sequence,
      program: program, context: context("T01", minutes: minutes, basis: seq))
    e.basis = seq
    return e
  }

  func signed(_ e: Entry, by key: P256.Signing.PrivateKey = AuditReplayTests.cardKey) throws -> Entry {
    let nonce = (0..<16).map { UInt8($0) }
    let signature = try key.signature(for: CardProof.challenge(for: e, nonce: nonce))
    var e = e
    e.proof = CardProof(nonce: nonce, signature: Array(signature.rawRepresentation)).text
    return e
  }

  @Test mutating func aSigningCardsAccountIsSpentOnlyWithItsSignatureOverThatEntry() throws {
    try enrolSigningCardAndEarn()
    let unsigned = batch(try coffee(sequence: 1, minutes: 3))
    #expect(unsigned?.contains("has a card that signs") == true, "\(unsigned ?? "accepted")")
    let stranger = batch(try signed(try coffee(sequence: 2, minutes: 4), by: P256.Signing.PrivateKey()))
    #expect(stranger?.contains("is not card ****7895's") == true, "\(stranger ?? "accepted")")
    let honest = try signed(try coffee(sequence: 3, minutes: 5))
    // The same signature on another redemption (a replay): it signed the first one only.
    var replay = try coffee(sequence: 4, minutes: 6)
    replay.proof = honest.proof
    let replayed = batch(replay)
    #expect(replayed?.contains("is not card ****7895's") == true, "\(replayed ?? "accepted")")
    // A malformed proof is named as such.
    var garbled = try coffee(sequence: 5, minutes: 7)
    garbled.proof = "00.11"
    let malformed = batch(garbled)
    #expect(malformed?.contains("not <32 hex digits>") == true, "\(malformed ?? "accepted")")
    #expect(audit.accounts[account]?.balance == 40, "no refusal spent anything")
    #expect(batch(honest) == nil, "the card's own signature over this redemption")
    #expect(audit.accounts[account]?.balance == 10)
  }

  @Test mutating func aCardsKeyThatIsNoPointIsRefusedAtItsEnrolment() throws {
    var enrolment = try enrolment(basis: 6)
    enrolment.data = String(repeating: "ab", count: 65)
    #expect(batch(enrolment)?.contains("public key") == true)
    #expect(audit.accounts[account] == nil)
  }

  @Test mutating func cardsThatCannotSignSpendWithinTheProgramsDailyBoundAcrossTheChain() throws {
    let bounded = Self.json.replacingOccurrences(
      of: #""limits":"#, with: #""cardProof": {"unprovenRedeemPointsPerDay": 30}, "limits":"#
    ).replacingOccurrences(of: #"{"version": 1,"#, with: #"{"version": 2,"#)
    #expect(try ProgramParser.parse(bounded.data(using: .utf8)!).cardProof?.unprovenRedeemPointsPerDay == 30)
    let program = try ProgramParser.parse(bounded.data(using: .utf8)!)
    hq(Entry(kind: .program, id: "program-2", at: Self.t0, terminal: Entry.hq, data: bounded))
    #expect(batch(try enrolment(basis: seq)) == nil)
    var earn = try earn(basis: seq)
    earn.version = 2
    let earned = batch(earn)
    #expect(earned == nil, "\(earned ?? "")")
    hq(Entry(kind: .adjustment, id: "adjust-1", at: Self.t0, terminal: Entry.hq, account: account, points: 100))
    let first = batch(try coffee(sequence: 1, minutes: 3, program: program))
    #expect(first == nil, "30 points without a signature, within the bound: \(first ?? "")")
    let second = batch(try coffee(sequence: 2, minutes: 4, program: program))
    #expect(second?.contains("allows 30 a day") == true, "\(second ?? "accepted")")
    #expect(audit.accounts[account]?.balance == 110)
  }
}

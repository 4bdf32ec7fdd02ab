import LoyaltyCore
import Testing

/// Card numbers inside lines built from entries (ids, reasons) are masked for every output
/// outside HQ's customer service.
@Suite("Card numbers masked in text")
struct CardMaskingTests {
  @Test func loyaltyNumbersAndUIDsAreMaskedAndNothingElse() {
    let line =
      "seq 12 T01 link-04AABBCCDDEEFF (card 6280001234567895 is not enrolled; account acct-1ecf020a8f33c82646ec6d22, "
      + "redeem-T01-1794906300-35, block-6280001234567895-1793673100)"
    #expect(
      CardID.maskingCards(in: line)
        == "seq 12 T01 link-****EEFF (card ****7895 is not enrolled; account acct-1ecf020a8f33c82646ec6d22, "
        + "redeem-T01-1794906300-35, block-****7895-1793673100)")
    // Sixteen digits that fail the Luhn check are no loyalty number: left as they are.
    #expect(CardID.maskingCards(in: "6280001234567890") == "6280001234567890")
    #expect(CardID.maskingCards(in: "") == "")
  }
}

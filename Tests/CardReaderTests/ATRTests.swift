import CardReader
import HexCoding
import TestSupport
import Testing

@Suite("ATR parsing")
struct ATRTests {
  @Test func parsesAPCSCPart3StorageCardATR() throws {
    let atr = try ATR(Hex.decode("3B8F8001804F0CA000000306030001000000006A")!)
    #expect(atr.protocols == [0, 1])  // TD1 = 80 names T=0, TD2 = 01 names T=1
    #expect(atr.historicalBytes.count == 15)
    #expect(atr.tck == 0x6A)
    #expect(atr.storageCard?.standard == 0x03)
    #expect(atr.storageCard?.cardName == 0x0001)
  }

  @Test func buildsATRsThatParse() throws {
    let built = ATR.storageCard(cardName: 0x0003)
    #expect(try ATR(built).storageCard?.cardName == 0x0003)
    let contactless = ATR.contactless(historicalBytes: Array("LOYALTY".utf8))
    #expect(try ATR(contactless).historicalBytes == Array("LOYALTY".utf8))
  }

  @Test func parsesAT0OnlyATRWithoutTCK() throws {
    // 3B 02 14 50: T0 says 2 historical bytes, no interface bytes, T=0 implied, no TCK.
    let atr = try ATR([0x3B, 0x02, 0x14, 0x50])
    #expect(atr.protocols == [0])
    #expect(atr.tck == nil)
  }

  @Test(arguments: [
    ("", "0 byte(s)"),
    ("3B", "1 byte(s)"),
    ("4B00", "TS is 4B"),
    ("3B8F8001804F0CA000000306030001000000006B", "TCK 6B does not check"),
    ("3B8F8001804F0CA0000003060300010000", "historical bytes"),
    ("3B8F8001804F0CA000000306030001000000", "historical bytes"),
    ("3B88", "TD1 runs past the end"),
    ("3BF0", "interface bytes run past the end"),
    ("3B0012", "trailing"),
    ("3B81800180", "TCK missing"),
    (String(repeating: "3B", count: 34), "more than 33"),
  ])
  func refusesMalformedATRs(_ hex: String, _ reason: String) {
    let error = #expect(throws: ATR.ParseError.self) { try ATR(Hex.decode(hex)!) }
    #expect(error?.message.contains(reason) == true, "\(error?.message ?? "") should mention \(reason)")
  }

  @Test func survivesEveryShortHostileByteString() {
    // Every 1- and 2-byte string and a deterministic spread of longer ones: no crash, no hang.
    var generator = SeededGenerator(seed: 7)
    for a in 0...255 {
      for b in stride(from: 0, through: 255, by: 5) {
        _ = try? ATR([UInt8(a), UInt8(b)])
        var bytes = [UInt8(0x3B), UInt8(b)]
        for _ in 0..<Int(generator.next() % 34) { bytes.append(UInt8(truncatingIfNeeded: generator.next())) }
        _ = try? ATR(bytes)
      }
    }
  }
}

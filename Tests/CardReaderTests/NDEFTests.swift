import CardEmulation
import CardIdentification
import CardReader
import HexCoding
import LoyaltyCore
import TestSupport
import Testing

@Suite("NDEF, capability container and loyalty numbers")
struct NDEFTests {
  @Test func parsesTheTextRecordTheEmulatorWrites() throws {
    let message = try NDEFMessage(NDEFEncoder.textRecord("6280001234567895"))
    #expect(message.records.count == 1)
    #expect(try NDEFMessage.text(of: message.records[0]) == Array("6280001234567895".utf8))
  }

  @Test(arguments: [
    ("https://loyalty.example/c/6280001234567895", "6280001234567895"),
    ("https://loyalty.example/c/6280001234567895?src=tag#x", "6280001234567895"),
    ("http://www.example.com/6280001234567895", "6280001234567895"),
    ("urn:x/6280001234567895", "6280001234567895"),
  ])
  func findsTheLastPathSegmentOfURIRecords(_ uri: String, _ segment: String) throws {
    let message = try NDEFMessage(NDEFEncoder.uriRecord(uri))
    let full = try #require(try NDEFMessage.uri(of: message.records[0]))
    #expect(String(decoding: full, as: UTF8.self) == uri)
    #expect(NDEFMessage.lastPathSegment(of: full) == Array(segment.utf8))
  }

  @Test func aURIEndingInASlashHasNoSegment() {
    #expect(NDEFMessage.lastPathSegment(of: Array("https://x.example/c/".utf8)) == nil)
    #expect(NDEFMessage.lastPathSegment(of: Array("tel:12345".utf8)) == nil)
  }

  @Test(
    arguments: [
      ([], "empty"),
      ([0x91, 0x01, 0x05, 0x54], "payload of 5 bytes runs past the end"),  // ME missing + short
      ([0x11, 0x01, 0x01, 0x54, 0x00], "first record lacks MB"),
      ([0xB1, 0x01, 0x01, 0x54, 0x00], "chunked"),
      ([0xD7, 0x00, 0x00], "reserved TNF"),
      ([0xC1, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x54], "payload of"),  // 4 GiB payload length
      ([0xD1, 0x01, 0x01, 0x54, 0x00, 0x00], "after the record flagged ME"),
      ([0x91, 0x01, 0x01, 0x54, 0x00], "ends without a record flagged ME"),
      ([0xD0, 0x01, 0x00, 0x54], "empty record"),
    ] as [([UInt8], String)])
  func refusesMalformedMessages(_ bytes: [UInt8], _ reason: String) {
    let error = #expect(throws: CardIdentificationError.self) { try NDEFMessage(bytes) }
    #expect(error?.reason == .malformedNDEF)
    #expect(error?.message.contains(reason) == true, "\(error?.message ?? "") should mention \(reason)")
  }

  @Test func survivesHostileBytes() {
    var g = SeededGenerator(seed: 42)
    for _ in 0..<20_000 {
      let n = Int(g.next() % 64)
      var bytes = (0..<n).map { _ in UInt8(truncatingIfNeeded: g.next()) }
      if !bytes.isEmpty { bytes[0] |= 0x80 }
      if let message = try? NDEFMessage(bytes) {
        for r in message.records {
          _ = try? NDEFMessage.text(of: r)
          _ = try? NDEFMessage.uri(of: r)
        }
      }
      _ = try? CapabilityContainer(bytes)
    }
  }

  @Test func refusesTextRecordsItCannotRead() throws {
    let utf16 = NDEFMessage.Record(tnf: 1, type: [0x54], id: [], payload: [0x82, 0x65, 0x6E, 0x00])
    #expect(throws: CardIdentificationError.self) { try NDEFMessage.text(of: utf16) }
    let shortLang = NDEFMessage.Record(tnf: 1, type: [0x54], id: [], payload: [0x05, 0x65])
    #expect(throws: CardIdentificationError.self) { try NDEFMessage.text(of: shortLang) }
    let badPrefix = NDEFMessage.Record(tnf: 1, type: [0x55], id: [], payload: [0x99, 0x41])
    #expect(throws: CardIdentificationError.self) { try NDEFMessage.uri(of: badPrefix) }
  }

  @Test func parsesTheCapabilityContainerAndRefusesBadOnes() throws {
    let good = Hex.decode("000F20003B00340406E10404000000")!
    let cc = try CapabilityContainer(good)
    #expect(cc.ndefFileID == 0xE104)
    #expect(cc.maxReadLength == 0x3B)
    #expect(cc.ndefFileMaxSize == 0x0400)
    for bad in [
      "000F10003B00340406E10404000000", "000F20003B00340506E10404000000",
      "000F20003B00340406E10304000000", "000F2000", "000F20000000340406E10404000000",
    ] {
      #expect(throws: CardIdentificationError.self, "\(bad)") { try CapabilityContainer(Hex.decode(bad)!) }
    }
  }

  @Test(
    arguments: [
      ("6280001234567895", nil),
      ("4000001234567899", nil),
      ("6280001234567890", CardIdentificationError.Reason.luhnCheckFailed),
      ("628000123456789", .wrongNumberLength),
      ("62800012345678950", .wrongNumberLength),
      ("6280 01234567895", .nonDigitNumber),
      ("628000123456789A", .nonDigitNumber),
      ("", .nonDigitNumber),
    ] as [(String, CardIdentificationError.Reason?)])
  func validatesLoyaltyNumbers(_ number: String, _ expected: CardIdentificationError.Reason?) {
    do {
      let valid = try LoyaltyNumber.validate(Array(number.utf8), source: "test")
      #expect(expected == nil)
      #expect(valid == number)
    } catch {
      #expect(error.reason == expected)
    }
  }

  @Test func luhnCatchesEverySingleDigitError() {
    var g = SeededGenerator(seed: 3)
    for _ in 0..<500 {
      let payload = (0..<15).map { _ in UInt8(g.next() % 10) }
      let full = payload + [LoyaltyNumber.checkDigit(for: payload)]
      #expect(LoyaltyNumber.luhnValid(full))
      let position = Int(g.next() % 16)
      let delta = UInt8(1 + g.next() % 9)
      var broken = full
      broken[position] = (broken[position] + delta) % 10
      #expect(!LoyaltyNumber.luhnValid(broken), "changing digit \(position) of \(full) went unnoticed")
    }
  }
}

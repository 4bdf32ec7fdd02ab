import CardReader
import HexCoding
import Testing

@Suite("APDU encoding and parsing")
struct APDUTests {
  @Test(arguments: [
    // case 1, 2S, 2S Ne=256, 3S, 4S, 2E, 3E, 4E
    (try! CommandAPDU(cla: 0, ins: 0xA4, p1: 4, p2: 0), "00A40400"),
    (try! CommandAPDU(cla: 0, ins: 0xB0, p1: 0, p2: 0, ne: 16), "00B0000010"),
    (try! CommandAPDU(cla: 0, ins: 0xB0, p1: 0, p2: 0, ne: 256), "00B0000000"),
    (try! CommandAPDU(cla: 0, ins: 0xA4, p1: 0, p2: 0x0C, data: [0xE1, 0x03]), "00A4000C02E103"),
    (try! CommandAPDU(cla: 0, ins: 0xA4, p1: 4, p2: 0, data: [1, 2], ne: 256), "00A4040002010200"),
    (try! CommandAPDU(cla: 0, ins: 0xB0, p1: 0, p2: 0, ne: 65_536), "00B00000000000"),
    (try! CommandAPDU(cla: 0, ins: 0xB0, p1: 0, p2: 0, ne: 300), "00B0000000012C"),
  ])
  func encodes(_ command: CommandAPDU, _ hex: String) {
    #expect(Hex.encode(command.bytes) == hex)
  }

  @Test func extendedDataEncodesThreeByteLc() throws {
    let command = try CommandAPDU(cla: 0, ins: 0xD6, p1: 0, p2: 0, data: [UInt8](repeating: 7, count: 300), ne: 2)
    #expect(Array(command.bytes[4..<7]) == [0x00, 0x01, 0x2C])
    #expect(command.bytes.count == 4 + 3 + 300 + 2)
    #expect(Array(command.bytes.suffix(2)) == [0x00, 0x02])
  }

  @Test func refusesLengthsISO7816CannotEncode() {
    #expect(throws: CardReaderError.self) { try CommandAPDU(cla: 0, ins: 0, p1: 0, p2: 0, ne: 0) }
    #expect(throws: CardReaderError.self) { try CommandAPDU(cla: 0, ins: 0, p1: 0, p2: 0, ne: 65_537) }
    #expect(throws: CardReaderError.self) {
      try CommandAPDU(cla: 0, ins: 0, p1: 0, p2: 0, data: [UInt8](repeating: 0, count: 65_536))
    }
    #expect(throws: CardReaderError.self) { try CommandAPDU.readBinary(offset: 0x8000, length: 1) }
  }

  @Test(arguments: [[], [0x90]] as [[UInt8]])
  func responseWithoutStatusWordIsMalformed(_ bytes: [UInt8]) {
    #expect(throws: CardReaderError(.malformedResponse, "response of \(bytes.count) byte(s) has no status word")) {
      try ResponseAPDU(bytes: bytes)
    }
  }

  @Test func responseSplitsDataAndStatusWord() throws {
    let r = try ResponseAPDU(bytes: [0x01, 0x02, 0x90, 0x00])
    #expect(r.data == [1, 2])
    #expect(r.statusWord == .success)
    #expect(r.statusWord.description == "9000 (success)")
    #expect(StatusWord(sw1: 0x61, sw2: 0x10).isMoreDataAvailable)
    #expect(StatusWord(sw1: 0x6C, sw2: 0x04).isWrongLe)
  }

  @Test func hexRoundTripsAndRejectsGarbage() {
    #expect(Hex.decode("04 a1:B2") == [0x04, 0xA1, 0xB2])
    #expect(Hex.decode("0") == nil)
    #expect(Hex.decode("zz") == nil)
    #expect(Hex.encode([0x00, 0xFF]) == "00FF")
  }
}

@Suite("ISO 7816-4 exchange rules: 61xx and 6Cxx")
struct APDUExchangeTests {
  /// A scripted card: answers are consumed in order, commands recorded.
  final class Script: @unchecked Sendable {
    var answers: [[UInt8]]
    var sent: [[UInt8]] = []
    init(_ answers: [[UInt8]]) { self.answers = answers }
    func raw(_ bytes: [UInt8]) async throws(CardReaderError) -> [UInt8] {
      sent.append(bytes)
      guard !answers.isEmpty else { return [0x6F, 0x00] }
      return answers.removeFirst()
    }
  }

  @Test func followsGetResponseChains() async throws {
    let script = Script([[0x61, 0x03], [1, 2, 3, 0x61, 0x02], [4, 5, 0x90, 0x00]])
    let response = try await APDUExchange.run(.selectApplication([0xA0, 0, 0, 0, 1]), raw: script.raw)
    #expect(response.data == [1, 2, 3, 4, 5])
    #expect(response.statusWord == .success)
    #expect(script.sent.count == 3)
    #expect(Hex.encode(script.sent[1]) == "00C0000003")
    #expect(Hex.encode(script.sent[2]) == "00C0000002")
  }

  @Test func resendsWithTheRightLeOn6Cxx() async throws {
    let script = Script([[0x6C, 0x07], [1, 2, 3, 4, 5, 6, 7, 0x90, 0x00]])
    let response = try await APDUExchange.run(try .readBinary(offset: 0, length: 2), raw: script.raw)
    #expect(response.data.count == 7)
    #expect(Hex.encode(script.sent[1]) == "00B0000007")
  }

  @Test func refusesA6CxxLoop() async {
    let script = Script([[0x6C, 0x07], [0x6C, 0x08]])
    await #expect(throws: CardReaderError.self) {
      try await APDUExchange.run(try .readBinary(offset: 0, length: 2), raw: script.raw)
    }
  }

  @Test func refusesEndless61xx() async {
    let script = Script(Array(repeating: [0x61, 0x01], count: 100))
    let error = await #expect(throws: CardReaderError.self) {
      try await APDUExchange.run(.getUID, raw: script.raw)
    }
    #expect(error?.kind == .malformedResponse)
    #expect(script.sent.count == APDUExchange.maxGetResponseRounds + 1)
  }

  @Test func refusesMoreDataThanNeAllows() async {
    let script = Script([[1, 2, 3, 0x90, 0x00]])
    let error = await #expect(throws: CardReaderError.self) {
      try await APDUExchange.run(try .readBinary(offset: 0, length: 2), raw: script.raw)
    }
    #expect(error?.kind == .malformedResponse)
  }
}

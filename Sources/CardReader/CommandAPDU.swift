import HexCoding

/// A command APDU (ISO/IEC 7816-4), short or extended.
public struct CommandAPDU: Hashable, Sendable, CustomStringConvertible {
  public var cla: UInt8
  public var ins: UInt8
  public var p1: UInt8
  public var p2: UInt8
  /// Command data (Nc bytes), at most 65 535.
  public var data: [UInt8]
  /// Expected response length Ne, 1…65 536, or `nil` when no response data is expected.
  public var ne: Int?

  /// Creates a command; throws when Nc or Ne is outside what ISO 7816-4 can encode.
  public init(
    cla: UInt8, ins: UInt8, p1: UInt8, p2: UInt8, data: [UInt8] = [], ne: Int? = nil
  ) throws(CardReaderError) {
    guard data.count <= 65_535 else {
      throw CardReaderError(.invalidCommand, "command data of \(data.count) bytes exceeds 65535")
    }
    if let ne, !(1...65_536).contains(ne) {
      throw CardReaderError(.invalidCommand, "Ne \(ne) is outside 1...65536")
    }
    self.cla = cla
    self.ins = ins
    self.p1 = p1
    self.p2 = p2
    self.data = data
    self.ne = ne
  }

  /// Whether the encoding needs the extended length format.
  public var isExtended: Bool { data.count > 255 || (ne ?? 0) > 256 }

  /// The encoded command (cases 1, 2S/E, 3S/E, 4S/E).
  public var bytes: [UInt8] {
    var out: [UInt8] = [cla, ins, p1, p2]
    out.reserveCapacity(4 + data.count + 5)
    let extended = isExtended
    if !data.isEmpty {
      if extended {
        out += [0x00, UInt8(data.count >> 8), UInt8(data.count & 0xFF)]
      } else {
        out.append(UInt8(data.count))
      }
      out += data
    }
    if let ne {
      if extended {
        let le = ne == 65_536 ? 0 : ne
        if data.isEmpty { out.append(0x00) }
        out += [UInt8(le >> 8), UInt8(le & 0xFF)]
      } else {
        out.append(ne == 256 ? 0x00 : UInt8(ne))
      }
    }
    return out
  }

  /// The same command asking for a different Ne (used on 6Cxx).
  public func with(ne newNe: Int) throws(CardReaderError) -> CommandAPDU {
    try CommandAPDU(cla: cla, ins: ins, p1: p1, p2: p2, data: data, ne: newNe)
  }

  public var description: String { Hex.encode(bytes) }
}

extension CommandAPDU {
  /// SELECT by DF name (AID), first or only occurrence, FCI requested.
  public static func selectApplication(_ aid: [UInt8]) -> CommandAPDU {
    // AIDs are 5...16 bytes; the force-try cannot fail for data that short.
    try! CommandAPDU(cla: 0x00, ins: 0xA4, p1: 0x04, p2: 0x00, data: aid, ne: 256)
  }

  /// SELECT an elementary file by its 2-byte identifier, no response data.
  public static func selectFile(_ fileID: UInt16) -> CommandAPDU {
    try! CommandAPDU(
      cla: 0x00, ins: 0xA4, p1: 0x00, p2: 0x0C, data: [UInt8(fileID >> 8), UInt8(fileID & 0xFF)])
  }

  /// READ BINARY of `length` bytes (1...256) at `offset` of the current EF.
  public static func readBinary(offset: UInt16, length: Int) throws(CardReaderError) -> CommandAPDU {
    guard offset <= 0x7FFF else {
      throw CardReaderError(.invalidCommand, "READ BINARY offset \(offset) exceeds 0x7FFF")
    }
    return try CommandAPDU(
      cla: 0x00, ins: 0xB0, p1: UInt8(offset >> 8), p2: UInt8(offset & 0xFF), ne: length)
  }

  /// The PC/SC Part 3 pseudo-APDU GET DATA (FF CA 00 00 00): the card's UID.
  public static let getUID = try! CommandAPDU(cla: 0xFF, ins: 0xCA, p1: 0x00, p2: 0x00, ne: 256)

  /// GET RESPONSE for `length` bytes (ISO 7816-4, after 61xx).
  public static func getResponse(cla: UInt8 = 0x00, length: Int) -> CommandAPDU {
    try! CommandAPDU(cla: cla, ins: 0xC0, p1: 0x00, p2: 0x00, ne: length == 0 ? 256 : length)
  }
}

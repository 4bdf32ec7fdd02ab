/// The capability container (file E103) of an NFC Forum Type 4 tag.
public struct CapabilityContainer: Hashable, Sendable {
  public var mappingVersion: UInt8
  /// Maximum data a READ BINARY may return (MLe).
  public var maxReadLength: Int
  /// The NDEF file's identifier.
  public var ndefFileID: UInt16
  /// The NDEF file's maximum size (NLEN field included).
  public var ndefFileMaxSize: Int
  /// The NDEF file's read access condition (00 = granted).
  public var readAccess: UInt8

  /// Parses and checks the first 15 bytes of a CC file.
  public init(_ b: [UInt8]) throws(CardIdentificationError) {
    func fail(_ m: String) -> CardIdentificationError {
      CardIdentificationError(.malformedNDEF, "malformed capability container: \(m)")
    }
    guard b.count >= 15 else { throw fail("\(b.count) bytes, need 15") }
    let ccLength = Int(b[0]) << 8 | Int(b[1])
    guard ccLength >= 15 else { throw fail("CCLEN \(ccLength) < 15") }
    mappingVersion = b[2]
    guard mappingVersion >> 4 == 2 else {
      throw fail("mapping version \(mappingVersion >> 4).\(mappingVersion & 0xF) is not 2.x")
    }
    maxReadLength = Int(b[3]) << 8 | Int(b[4])
    guard maxReadLength >= 1 else { throw fail("MLe is 0") }
    guard b[7] == 0x04, b[8] == 0x06 else {
      throw fail("no NDEF File Control TLV (found T=\(b[7]) L=\(b[8]))")
    }
    ndefFileID = UInt16(b[9]) << 8 | UInt16(b[10])
    guard ![0x0000, 0xE102, 0xE103, 0x3F00, 0x3FFF, 0xFFFF].contains(ndefFileID) else {
      throw fail("reserved NDEF file identifier \(ndefFileID)")
    }
    ndefFileMaxSize = Int(b[11]) << 8 | Int(b[12])
    guard ndefFileMaxSize >= 2 else { throw fail("NDEF file size \(ndefFileMaxSize) < 2") }
    readAccess = b[13]
  }
}

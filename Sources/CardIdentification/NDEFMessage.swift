/// An NDEF message parsed from a tag (NFC Forum NDEF 1.0), strictly and within bounds.
public struct NDEFMessage: Hashable, Sendable {
  /// One NDEF record.
  public struct Record: Hashable, Sendable {
    /// Type Name Format (1 = NFC Forum well-known type).
    public var tnf: UInt8
    public var type: [UInt8]
    public var id: [UInt8]
    public var payload: [UInt8]

    public init(tnf: UInt8, type: [UInt8], id: [UInt8], payload: [UInt8]) {
      self.tnf = tnf
      self.type = type
      self.id = id
      self.payload = payload
    }
  }

  public var records: [Record]

  /// At most this many records are accepted (a tag is small; a huge count is hostile).
  public static let maxRecords = 64

  /// Parses `bytes` as one complete NDEF message.
  public init(_ bytes: [UInt8]) throws(CardIdentificationError) {
    func fail(_ m: String) -> CardIdentificationError {
      CardIdentificationError(.malformedNDEF, "malformed NDEF message: \(m)")
    }
    var records: [Record] = []
    var i = 0
    guard !bytes.isEmpty else { throw fail("empty") }
    while true {
      guard records.count < Self.maxRecords else { throw fail("more than \(Self.maxRecords) records") }
      guard i < bytes.count else { throw fail("ends without a record flagged ME") }
      let header = bytes[i]
      i += 1
      let mb = header & 0x80 != 0
      let me = header & 0x40 != 0
      let cf = header & 0x20 != 0
      let sr = header & 0x10 != 0
      let il = header & 0x08 != 0
      let tnf = header & 0x07
      guard mb == records.isEmpty else {
        throw fail(mb ? "MB set on record \(records.count + 1)" : "first record lacks MB")
      }
      guard !cf else { throw fail("chunked records are not supported") }
      guard tnf != 0x07 else { throw fail("reserved TNF 7") }
      func take(_ n: Int, _ what: String) throws(CardIdentificationError) -> ArraySlice<UInt8> {
        guard n >= 0, n <= bytes.count - i else {
          throw fail("\(what) of \(n) bytes runs past the end (record \(records.count + 1))")
        }
        defer { i += n }
        return bytes[i..<(i + n)]
      }
      let typeLength = Int(try take(1, "type length").first!)
      let payloadLength: Int
      if sr {
        payloadLength = Int(try take(1, "payload length").first!)
      } else {
        payloadLength = try take(4, "payload length").reduce(0) { $0 << 8 | Int($1) }
      }
      let idLength = il ? Int(try take(1, "id length").first!) : 0
      let type = Array(try take(typeLength, "type"))
      let id = Array(try take(idLength, "id"))
      let payload = Array(try take(payloadLength, "payload"))
      if tnf == 0x00 && (typeLength != 0 || payloadLength != 0 || idLength != 0) {
        throw fail("empty record (TNF 0) with content")
      }
      records.append(Record(tnf: tnf, type: type, id: id, payload: payload))
      if me { break }
    }
    guard i == bytes.count else { throw fail("\(bytes.count - i) byte(s) after the record flagged ME") }
    self.records = records
  }

  /// The text of a well-known Text record, or `nil` if `record` is not one.
  public static func text(of record: Record) throws(CardIdentificationError) -> [UInt8]? {
    guard record.tnf == 0x01, record.type == [0x54] else { return nil }
    guard let status = record.payload.first else {
      throw CardIdentificationError(.malformedNDEF, "Text record with an empty payload")
    }
    guard status & 0x80 == 0 else {
      throw CardIdentificationError(.malformedNDEF, "Text record in UTF-16 is not supported")
    }
    let langLength = Int(status & 0x3F)
    guard 1 + langLength <= record.payload.count else {
      throw CardIdentificationError(.malformedNDEF, "Text record language code runs past the payload")
    }
    return Array(record.payload[(1 + langLength)...])
  }

  /// URI prefixes by identifier code (NFC Forum URI RTD, codes 0x00-0x23).
  static let uriPrefixes: [String] = [
    "", "http://www.", "https://www.", "http://", "https://", "tel:", "mailto:",
    "ftp://anonymous:anonymous@", "ftp://ftp.", "ftps://", "sftp://", "smb://", "nfs://", "ftp://",
    "dav://", "news:", "telnet://", "imap:", "rtsp://", "urn:", "pop:", "sip:", "sips:", "tftp:",
    "btspp://", "btl2cap://", "btgoep://", "tcpobex://", "irdaobex://", "file://", "urn:epc:id:",
    "urn:epc:tag:", "urn:epc:pat:", "urn:epc:raw:", "urn:epc:", "urn:nfc:",
  ]

  /// The full URI of a well-known URI record (as bytes), or `nil` if `record` is not one.
  public static func uri(of record: Record) throws(CardIdentificationError) -> [UInt8]? {
    guard record.tnf == 0x01, record.type == [0x55] else { return nil }
    guard let code = record.payload.first else {
      throw CardIdentificationError(.malformedNDEF, "URI record with an empty payload")
    }
    guard Int(code) < uriPrefixes.count else {
      throw CardIdentificationError(.malformedNDEF, "URI record with unknown prefix code \(code)")
    }
    return Array(uriPrefixes[Int(code)].utf8) + record.payload.dropFirst()
  }

  /// The last path segment of a URI (query and fragment removed); `nil` if there is none.
  public static func lastPathSegment(of uri: [UInt8]) -> [UInt8]? {
    var end = uri.count
    if let q = uri.firstIndex(where: { $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") }) { end = q }
    let path = uri[..<end]
    guard let slash = path.lastIndex(of: UInt8(ascii: "/")) else { return nil }
    let segment = Array(path[(slash + 1)...])
    return segment.isEmpty ? nil : segment
  }
}

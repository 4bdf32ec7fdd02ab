/// A state's encoding without its account id, for a store whose key holds the id already (a
/// terminal's replica: one row per account, keyed by the id). The id is the encoding's first
/// field after the version byte; detaching drops it and sets `detachedFlag` on the version byte,
/// attaching puts it back, byte for byte. A detached encoding is never a canonical one (no
/// version has the flag), so `decode` refuses it rather than misreading it.
extension AccountStateEncoding {
  /// Set on the version byte of an encoding whose id was detached.
  public static let detachedFlag: UInt8 = 0x80

  /// `bytes`, the canonical encoding of account `id`'s state, less the id: the version byte with
  /// `detachedFlag`, then the rest as it was. Bytes that are not an encoding of `id`'s state (a
  /// version unknown, another id) are returned unchanged: `attached` returns them as they are.
  public static func detached(_ bytes: [UInt8], id: String) -> [UInt8] {
    guard let first = bytes.first, first == version || first == legacyVersion else { return bytes }
    var key = Writer()
    key.text(id)
    let end = 1 + key.bytes.count
    guard bytes.count >= end, bytes[1..<end].elementsEqual(key.bytes) else { return bytes }
    var out = [UInt8]()
    out.reserveCapacity(bytes.count - end + 1)
    out.append(first | detachedFlag)
    out.append(contentsOf: bytes[end...])
    return out
  }

  /// The canonical encoding of account `id`'s state from what `detached` left of it; bytes
  /// without `detachedFlag` are returned as they are (a canonical encoding stored whole).
  public static func attached(_ stored: [UInt8], id: String) -> [UInt8] {
    guard let first = stored.first, first & detachedFlag != 0 else { return stored }
    var w = Writer()
    w.bytes.reserveCapacity(stored.count + id.utf8.count + 2)
    w.bytes.append(first & ~detachedFlag)
    w.text(id)
    w.bytes.append(contentsOf: stored[1...])
    return w.bytes
  }
}

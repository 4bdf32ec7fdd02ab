/// A card's behaviour as seen through a reader: an ATR and an answer to each command APDU.
///
/// The same card models serve the in-process simulated reader and the vpcd virtual card, so a
/// test that passes on one exercises the very same bytes on the other.
public protocol EmulatedCard: Sendable {
  /// The ATR the reader reports for this card.
  var atr: [UInt8] { get }
  /// Power-up or reset: forget the selected application and file.
  mutating func reset()
  /// The raw response (data + SW1 SW2) to a raw command APDU.
  mutating func respond(to command: [UInt8]) -> [UInt8]
}

/// The parts of a command APDU that emulated cards look at.
struct ParsedCommand {
  var cla: UInt8
  var ins: UInt8
  var p1: UInt8
  var p2: UInt8
  var data: [UInt8]
  /// Ne; 256 for Le = 00 in short form, `nil` when absent.
  var ne: Int?

  /// Parses short APDUs (the cards here never need extended ones); `nil` on a malformed command.
  init?(_ b: [UInt8]) {
    guard b.count >= 4 else { return nil }
    cla = b[0]
    ins = b[1]
    p1 = b[2]
    p2 = b[3]
    data = []
    ne = nil
    if b.count == 4 { return }
    let lc = Int(b[4])
    if b.count == 5 {
      ne = lc == 0 ? 256 : lc
      return
    }
    guard lc > 0, b.count == 5 + lc || b.count == 6 + lc else { return nil }
    data = Array(b[5..<(5 + lc)])
    if b.count == 6 + lc { ne = b[5 + lc] == 0 ? 256 : Int(b[5 + lc]) }
  }
}

/// Status words the emulated cards answer with.
enum SW {
  static let ok: [UInt8] = [0x90, 0x00]
  static let wrongLength: [UInt8] = [0x67, 0x00]
  static let commandNotAllowed: [UInt8] = [0x69, 0x86]
  static let functionNotSupported: [UInt8] = [0x6A, 0x81]
  static let fileNotFound: [UInt8] = [0x6A, 0x82]
  static let referencedDataNotFound: [UInt8] = [0x6A, 0x88]
  static let wrongP1P2: [UInt8] = [0x6B, 0x00]
  static let insNotSupported: [UInt8] = [0x6D, 0x00]
  static let claNotSupported: [UInt8] = [0x6E, 0x00]
}

/// Answers the reader's GET DATA pseudo-APDU (FF CA 00 00 Le) with `uid`, as a PC/SC reader does.
func answerGetUID(_ c: ParsedCommand, uid: [UInt8]) -> [UInt8] {
  guard c.p1 == 0x00, c.p2 == 0x00 else { return SW.functionNotSupported }
  let le = c.ne ?? 256
  if le == 256 || le == uid.count { return uid + SW.ok }
  return [0x6C, UInt8(uid.count)]
}

/// Answers READ BINARY on `file`: at most Ne bytes from the offset in P1-P2.
func readBinary(_ c: ParsedCommand, file: [UInt8]) -> [UInt8] {
  let offset = Int(c.p1 & 0x7F) << 8 | Int(c.p2)
  guard offset <= file.count else { return SW.wrongP1P2 }
  let want = c.ne ?? 256
  let end = min(file.count, offset + want)
  return Array(file[offset..<end]) + SW.ok
}

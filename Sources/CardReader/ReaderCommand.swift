/// A command for the reader itself — its LED, buzzer or firmware version — not for the card.
///
/// Readers take these two ways (which one, and the bytes, come from the reader's profile in
/// `hardware/reader-profiles.json`):
/// - `pseudoAPDU`: a class-FF command the reader's driver answers itself, sent with SCardTransmit
///   over a connection to the card in the reader (ACR122U: `FF 00 40 …` LED and buzzer,
///   `FF 00 48 00 00` firmware). Needs a card in the field.
/// - `escape`: sent with SCardControl under the CCID escape code (`SCARD_CTL_CODE(3500)`) over a
///   direct connection, no card needed (ACR1252U: `E0 00 00 28 01 …` buzzer, `E0 00 00 18 00`
///   firmware). pcscd's CCID driver passes escapes only when its `ifdDriverOptions` allow them.
public enum ReaderCommand: Hashable, Sendable {
  case pseudoAPDU([UInt8])
  case escape([UInt8])

  /// The command's bytes.
  public var bytes: [UInt8] {
    switch self {
    case .pseudoAPDU(let bytes), .escape(let bytes): bytes
    }
  }
}

extension CardReaderSystem {
  /// Readers that take no commands of their own: refused, named.
  public func send(_ command: ReaderCommand, toReader reader: String) async throws(CardReaderError) -> [UInt8] {
    throw CardReaderError(.other, "\(reader) takes no reader commands here")
  }
}

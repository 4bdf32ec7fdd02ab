import CPCSCLite
import CardReader

/// pcsc-lite's client library, opened at run time (the build needs no pcsc-lite files).
public enum PCSCLibrary {
  /// Opens libpcsclite.so.1 once per process, or says plainly what to install.
  ///
  /// Without the library every PC/SC call answers SCARD_E_NO_SERVICE; a command that is asked
  /// for a live reader calls this first so the operator reads what is missing instead.
  public static func load() throws(CardReaderError) {
    var message = [CChar](repeating: 0, count: 512)
    guard pcsclite_load(&message, message.count) == 0 else { return }
    let reason = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    throw CardReaderError(
      .serviceUnavailable,
      "the live reader needs pcsc-lite, which is not installed (\(reason)). Install and start it: "
        + "sudo apt-get install pcscd && sudo pcscd -f — or use --simulated for the in-process reader")
  }
}

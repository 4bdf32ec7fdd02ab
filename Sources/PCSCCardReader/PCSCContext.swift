import CPCSCLite
import CardReader

/// An owned SCARDCONTEXT: established on init, released exactly once.
///
/// A context is used by one thread at a time; only `cancel()` may be called from another thread
/// (that is what SCardCancel is for).
final class PCSCContext: @unchecked Sendable {
  private(set) var handle: SCARDCONTEXT
  private var released = false

  /// Establishes a context with pcscd (SCARD_E_NO_SERVICE when pcscd is not running).
  init() throws(PCSCError) {
    var h: SCARDCONTEXT = 0
    try pcscCall { SCardEstablishContext(PCSC.scopeSystem, nil, nil, &h) }
    handle = h
  }

  deinit { release() }

  /// Releases the context (idempotent).
  func release() {
    guard !released else { return }
    released = true
    // It frees any handle the context still has: a change of libpcsclite's handle table.
    PCSCHandleTable.changing { _ = SCardReleaseContext(handle) }
  }

  /// Interrupts a blocking SCardGetStatusChange on this context from another thread.
  func cancel() {
    _ = SCardCancel(handle)
  }

  /// The names of the readers pcscd knows; empty when there are none.
  func listReaders() throws(PCSCError) -> [String] {
    var length: UInt = 0
    do {
      try pcscCall { SCardListReaders(handle, nil, nil, &length) }
    } catch .noReadersAvailable {
      return []
    }
    guard length > 0, length < 1 << 20 else { return [] }
    var buffer = [CChar](repeating: 0, count: Int(length))
    do {
      try pcscCall { SCardListReaders(handle, nil, &buffer, &length) }
    } catch .noReadersAvailable {
      return []
    }
    // A multi-string: names separated by NUL, ended by an empty one.
    let bytes = buffer.prefix(Int(min(length, UInt(buffer.count)))).map { UInt8(bitPattern: $0) }
    return bytes.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
  }
}

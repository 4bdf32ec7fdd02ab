import CPCSCLite
import CardReader
import Foundation

/// Commands to a live reader itself: a pseudo-APDU over a shared connection to the card in it,
/// or a CCID escape (SCardControl) over a direct connection. One short-lived connection per
/// command, on a blocking-call thread (a signal is rare: a few per tap).
enum PCSCReaderControl {
  static func send(_ command: ReaderCommand, to reader: String) async throws(CardReaderError) -> [UInt8] {
    switch command {
    case .pseudoAPDU(let bytes):
      let session = try await PCSCCardSession.open(reader: reader)
      defer { Task { await session.disconnect() } }
      return try await session.transmitRaw(bytes)
    case .escape(let bytes):
      let result: Result<[UInt8], CardReaderError> = await withCheckedContinuation { continuation in
        Thread.detachNewThread {
          continuation.resume(returning: Result { () throws(CardReaderError) in try escape(bytes, reader) })
        }
      }
      return try result.get()
    }
  }

  /// SCardConnect(SCARD_SHARE_DIRECT) + SCardControl(IOCTL_CCID_ESCAPE) + SCardDisconnect.
  static func escape(_ bytes: [UInt8], _ reader: String) throws(CardReaderError) -> [UInt8] {
    let context: PCSCContext
    do { context = try PCSCContext() } catch { throw error.readerError("connecting to \(reader) directly") }
    defer { context.release() }
    var handle: SCARDHANDLE = 0
    var proto: UInt = 0
    do {
      try PCSCHandleTable.changing { () throws(PCSCError) in
        try pcscCall { SCardConnect(context.handle, reader, UInt(SCARD_SHARE_DIRECT), 0, &handle, &proto) }
      }
    } catch { throw error.readerError("connecting to \(reader) directly") }
    defer { PCSCHandleTable.changing { _ = SCardDisconnect(handle, PCSC.leaveCard) } }
    var answer = [UInt8](repeating: 0, count: 258)
    var returned: UInt = 0
    do {
      try PCSCHandleTable.reading { () throws(PCSCError) in
        try pcscCall {
          bytes.withUnsafeBytes { send in
            answer.withUnsafeMutableBytes { receive in
              SCardControl(
                handle, UInt(IOCTL_CCID_ESCAPE), send.baseAddress, UInt(send.count), receive.baseAddress,
                UInt(receive.count), &returned)
            }
          }
        }
      }
    } catch { throw error.readerError("sending an escape command to \(reader)") }
    return Array(answer.prefix(Int(min(returned, UInt(answer.count)))))
  }
}

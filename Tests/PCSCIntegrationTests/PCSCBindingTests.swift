import CPCSCLite
import CardEmulation
import Foundation
import TestSupport
import Testing

@testable import PCSCCardReader

/// The run-time binding to libpcsclite: its restated ABI matches pcsc-lite's own headers, and a
/// missing library is reported in words with what to install.
@Suite("PC/SC binding")
struct PCSCBindingTests {
  static let headers = "/usr/include/PCSC/winscard.h"

  /// Compiles a C program against the real headers and compares layouts and constants with ours.
  @Test(.enabled(if: FileManager.default.fileExists(atPath: headers), "libpcsclite-dev not installed"))
  func restatedABIMatchesPcscLiteHeaders() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("abi-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let source = dir.appendingPathComponent("abi.c").path
    let binary = dir.appendingPathComponent("abi").path
    try """
    #include <stddef.h>
    #include <stdio.h>
    #include <PCSC/winscard.h>
    #include <PCSC/reader.h>
    int main(void) {
      printf("%zu %zu %zu %zu %zu %zu %zu %zu %zu %zu\\n", sizeof(SCARD_READERSTATE),
        offsetof(SCARD_READERSTATE, pvUserData), offsetof(SCARD_READERSTATE, dwCurrentState),
        offsetof(SCARD_READERSTATE, dwEventState), offsetof(SCARD_READERSTATE, cbAtr),
        offsetof(SCARD_READERSTATE, rgbAtr), sizeof(SCARD_IO_REQUEST), sizeof(SCARDCONTEXT),
        sizeof(SCARDHANDLE), sizeof(DWORD));
      printf("%d %lu %lu %lu %lu %lu %lu %lu %lu %lu %lu %lu %lu %lu %lu %lu\\n", MAX_ATR_SIZE,
        (unsigned long)SCARD_SCOPE_SYSTEM, (unsigned long)SCARD_SHARE_SHARED,
        (unsigned long)SCARD_PROTOCOL_T0, (unsigned long)SCARD_PROTOCOL_T1,
        (unsigned long)SCARD_LEAVE_CARD, (unsigned long)SCARD_RESET_CARD,
        (unsigned long)SCARD_STATE_UNAWARE, (unsigned long)SCARD_STATE_IGNORE,
        (unsigned long)SCARD_STATE_CHANGED, (unsigned long)SCARD_STATE_UNKNOWN,
        (unsigned long)SCARD_STATE_UNAVAILABLE, (unsigned long)SCARD_STATE_EMPTY,
        (unsigned long)SCARD_STATE_PRESENT, (unsigned long)SCARD_STATE_MUTE,
        (unsigned long)(SCARD_E_NO_SERVICE & 0xFFFFFFFFUL));
      printf("%lu %lu\\n", (unsigned long)SCARD_SHARE_DIRECT, (unsigned long)SCARD_CTL_CODE(3500));
      return 0;
    }
    """.write(toFile: source, atomically: true, encoding: .utf8)
    let compiled = try runToCompletion("/usr/bin/cc", ["-I/usr/include/PCSC", source, "-o", binary])
    #expect(compiled.status == 0, "cc: \(compiled.errors)")
    let run = try runToCompletion(binary, [])
    let lines = run.output.split(separator: "\n").map { $0.split(separator: " ").map { UInt($0)! } }
    try #require(lines.count == 3)
    typealias State = SCARD_READERSTATE
    let ours: [Int] = [
      MemoryLayout<State>.size, MemoryLayout<State>.offset(of: \.pvUserData)!,
      MemoryLayout<State>.offset(of: \.dwCurrentState)!, MemoryLayout<State>.offset(of: \.dwEventState)!,
      MemoryLayout<State>.offset(of: \.cbAtr)!, MemoryLayout<State>.offset(of: \.rgbAtr)!,
      MemoryLayout<SCARD_IO_REQUEST>.size, MemoryLayout<SCARDCONTEXT>.size, MemoryLayout<SCARDHANDLE>.size,
      MemoryLayout<DWORD>.size,
    ]
    #expect(lines[0] == ours.map(UInt.init), "layout: pcsc-lite \(lines[0]), ours \(ours)")
    let constants: [UInt] = [
      UInt(MAX_ATR_SIZE), UInt(SCARD_SCOPE_SYSTEM), UInt(SCARD_SHARE_SHARED), UInt(SCARD_PROTOCOL_T0),
      UInt(SCARD_PROTOCOL_T1), UInt(SCARD_LEAVE_CARD), UInt(SCARD_RESET_CARD), UInt(SCARD_STATE_UNAWARE),
      UInt(SCARD_STATE_IGNORE), UInt(SCARD_STATE_CHANGED), UInt(SCARD_STATE_UNKNOWN), UInt(SCARD_STATE_UNAVAILABLE),
      UInt(SCARD_STATE_EMPTY), UInt(SCARD_STATE_PRESENT), UInt(SCARD_STATE_MUTE),
      UInt(UInt32(bitPattern: Int32(truncatingIfNeeded: PCSCLITE_NOT_LOADED))),
    ]
    #expect(lines[1] == constants, "constants: pcsc-lite \(lines[1]), ours \(constants)")
    #expect(lines[2] == [UInt(SCARD_SHARE_DIRECT), UInt(IOCTL_CCID_ESCAPE)], "control: pcsc-lite \(lines[2])")
  }

  /// No libpcsclite: a live command says what to install, in one line, and exits non-zero.
  @Test func missingLibraryIsNamedWithWhatToInstall() throws {
    let run = try runToCompletion(
      "/usr/bin/env", ["LOYALTY_PCSC_LIBRARY=/nonexistent/libpcsclite.so.1", BuiltProducts.loyaltyTerminal, "readers"])
    #expect(run.status == 1)
    let lines = run.errors.split(separator: "\n")
    #expect(lines.count == 1, "\(run.errors)")
    #expect(run.errors.contains("/nonexistent/libpcsclite.so.1"))
    #expect(run.errors.contains("sudo apt-get install pcscd"))
    #expect(!run.errors.contains("Usage:"))
  }
}

/// The ATR re-read after connect, driven by a scripted SCardStatus (the race itself is rare on
/// pcscd + vpcd; `cardsSwappedBackToBackAreEachRead` plays the swap on the real stack).
@Suite("ATR after a quick swap")
struct SettledATRTests {
  static let applet: [UInt8] = LoyaltyAppletCard(number: "6280001234567895").atr
  static let padded = applet + [UInt8](repeating: 0, count: 33 - applet.count)

  func settle(_ answers: [Result<[UInt8], PCSCError>]) throws(PCSCError) -> (atr: [UInt8], reads: Int) {
    var reads = 0
    let atr = try PCSCCardSession.settledATR(rereads: 10, pause: {}) { () throws(PCSCError) -> [UInt8] in
      reads += 1
      return try answers[min(reads, answers.count) - 1].get()
    }
    return (atr, reads)
  }

  @Test func aPaddedATRIsReadAgainUntilItIsTheCardsOwn() throws {
    let result = try settle([.success(Self.padded), .success(Self.padded), .success(Self.applet)])
    #expect(result.atr == Self.applet)
    #expect(result.reads == 3)
  }

  @Test func noSmartcardRightAfterConnectIsReadAgain() throws {
    let result = try settle([.failure(.noSmartcard), .success(Self.applet)])
    #expect(result.atr == Self.applet)
  }

  @Test func theRereadIsBoundedAndTheLastAnswerStands() throws {
    let result = try settle([.success(Self.padded)])
    #expect(result.atr == Self.padded)
    #expect(result.reads == 11)
    #expect(throws: PCSCError.noSmartcard) { try settle([.failure(.noSmartcard)]) }
  }

  @Test func aWellFormedATRIsTakenAtOnce() throws {
    #expect(try settle([.success(Self.applet)]).reads == 1)
  }
}

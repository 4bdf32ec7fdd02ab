import CardIdentification
import CardReader
import Foundation
import LedgerFormat
import LoyaltyCore
import ScenarioFormat

/// The fuzz targets: every parser of hostile input, each with the property it must keep. A
/// target returns normally for any input (an error thrown by the parser is a refusal, as it
/// should be); it traps only when a property is broken — libFuzzer and the sanitizers catch
/// crashes, overflows and out-of-bounds reads on their own.
public enum FuzzTarget: String, CaseIterable, Sendable {
  /// ATR parsing and the profile table's matching.
  case atr
  /// A whole tap: the card's answers (61xx/6Cxx chains, SELECT, READ BINARY, the NDEF file) come
  /// from the input; identification must end in an ID that passes its checks or a refusal.
  case apdu
  /// NDEF messages and the Type 4 capability container (TLV).
  case ndef
  /// Ledger lines: whatever parses must encode back to the very same bytes.
  case ledgerLine
  /// Program JSON.
  case program
  /// Scenario JSON.
  case scenario

  /// For libFuzzer's thread only: the `apdu` target blocks this thread until its task ends, so
  /// it must never be called from Swift's cooperative pool (tests and async code use `check`).
  public func run(_ data: [UInt8]) {
    if self == .apdu {
      let done = DispatchSemaphore(value: 0)
      Task {
        await Self.apdu(data)
        done.signal()
      }
      done.wait()
      return
    }
    runSynchronous(data)
  }

  /// Runs one input through the target (from async code: never blocks a thread).
  public func check(_ data: [UInt8]) async {
    if self == .apdu { await Self.apdu(data) } else { runSynchronous(data) }
  }

  func runSynchronous(_ data: [UInt8]) {
    switch self {
    case .atr: Self.atr(data)
    case .apdu: break
    case .ndef: Self.ndef(data)
    case .ledgerLine: Self.ledgerLine(data)
    case .program: _ = try? ProgramParser.parse(Data(data))
    case .scenario: _ = try? Scenario.parse(Data(data)) { _ in nil }
    }
  }

  static let profiles = CardProfiles.builtIn()

  static func atr(_ data: [UInt8]) {
    if let atr = try? ATR(data) { _ = atr }
    _ = profiles.match(data)
  }

  static func ndef(_ data: [UInt8]) {
    if let message = try? NDEFMessage(data) {
      for record in message.records {
        _ = try? NDEFMessage.text(of: record)
        if let uri = try? NDEFMessage.uri(of: record) { _ = NDEFMessage.lastPathSegment(of: uri) }
      }
    }
    _ = try? CapabilityContainer(data)
  }

  static func ledgerLine(_ data: [UInt8]) {
    if let entry = try? LedgerLine.parseEntry(data[...], line: 1) {
      precondition(Array(LedgerLine.encode(entry).utf8) == data, "a parsed line does not encode back to its bytes")
    }
    if let header = try? LedgerLine.parseHeader(data[...]) {
      precondition(Array(LedgerLine.encode(header).utf8) == data, "a parsed header does not encode back")
    }
    // As a whole ledger too: must refuse or verify, never trap.
    _ = try? LedgerVerifier().verify(data)
  }

  static func apdu(_ data: [UInt8]) async {
    let session = ScriptedCardSession(script: data)
    guard let identity = try? await CardIdentifier(profiles: profiles).identify(session) else { return }
    // An accepted ID is a Luhn-valid 16-digit number or an uppercase hex UID.
    let digits = identity.id.count == 16 && identity.id.allSatisfy { $0.isASCII && $0.isNumber }
    let hex = identity.id.allSatisfy { $0.isHexDigit && !$0.isLowercase } && identity.id.count % 2 == 0
    precondition(digits || hex, "identified as \(identity.id)")
    if digits { precondition(LoyaltyNumber.luhnValid(Array(identity.id.utf8).map { $0 - 0x30 })) }
  }
}

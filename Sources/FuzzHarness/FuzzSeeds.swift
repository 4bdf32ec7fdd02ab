import CardEmulation
import CardIdentification
import CardReader
import Foundation
import LedgerFormat
import LoyaltyCore
import ScenarioFormat
import Synchronization

/// Seed inputs for every target, made from the real emulated cards, a real ledger's lines and
/// the shipped programs and scenarios, so the fuzzer starts from valid inputs and mutates.
public enum FuzzSeeds {
  public static func seeds(for target: FuzzTarget) async -> [String: [UInt8]] {
    switch target {
    case .atr:
      return [
        "applet": LoyaltyAppletCard(number: "6280001234567895").atr, "ndef": NDEFTagCard.text("4000001234567899").atr,
        "uid": UIDCard(uid: [0x04, 0xA1, 0xB2, 0xC3, 0xD4, 0xE5, 0xF6]).atr,
      ]
    case .apdu:
      return [
        "applet": await tapScript(LoyaltyAppletCard(number: "6280001234567895")),
        "ndef-text": await tapScript(NDEFTagCard.text("4000001234567899")),
        "ndef-uri": await tapScript(NDEFTagCard.uri("https://loyalty.example/c/4000001234567899")),
        "uid": await tapScript(UIDCard(uid: [0x04, 0xA1, 0xB2, 0xC3, 0xD4, 0xE5, 0xF6])),
      ]
    case .ndef:
      return [
        "text": NDEFTagCard.text("4000001234567899").message,
        "uri": NDEFTagCard.uri("https://loyalty.example/c/4000001234567899").message,
        "cc": [0x00, 0x0F, 0x20, 0x00, 0x3B, 0x00, 0x34, 0x04, 0x06, 0xE1, 0x04, 0x00, 0xFF, 0x00, 0x00],
      ]
    case .ledgerLine:
      let at = UTCInstant(parsing: "2026-11-02T09:15:00Z")!
      let earn = LedgerEntry(
        seq: 3, kind: .earn, id: "earn-T01-R1", at: at, terminal: "T01", account: "acct-1", card: "6280001234567895",
        points: 50, amount: 1250, currency: "EUR", receipt: "R1", prev: String(repeating: "ab", count: 32))
      let seal = LedgerEntry(
        seq: 4, kind: .seal, id: "seal-4", at: at, terminal: "T01", count: 1, key: "a2V5", sig: "c2ln",
        prev: String(repeating: "cd", count: 32))
      let escaped = LedgerEntry(
        seq: 5, kind: .program, id: "program-1", at: at, terminal: Entry.hq, data: "{\"a\":\"x\\ny\\u0001\"}\t",
        prev: String(repeating: "ef", count: 32))
      return [
        "earn": Array(LedgerLine.encode(earn).utf8), "seal": Array(LedgerLine.encode(seal).utf8),
        "escaped": Array(LedgerLine.encode(escaped).utf8),
        "header": Array(LedgerLine.encode(LedgerHeader(hqKey: "a2V5", created: at)).utf8),
      ]
    case .program:
      return ["demo": Array(DemoDay.program.utf8)]
    case .scenario:
      return ["demo": Array(DemoDay.scenario.utf8)]
    }
  }

  /// The input `FuzzTarget.apdu` reads: the card's ATR and its answers to a real identification.
  static func tapScript(_ card: some EmulatedCard) async -> [UInt8] {
    let session = RecordingSession(card: card)
    _ = try? await CardIdentifier(profiles: CardProfiles.builtIn()).identify(session)
    return [UInt8(card.atr.count)] + card.atr + session.answers.withLock { $0 }.flatMap { [UInt8($0.count)] + $0 }
  }
}

/// A session straight onto an emulated card that records its answers.
final class RecordingSession<Card: EmulatedCard>: CardSession, @unchecked Sendable {
  let reader = "seed"
  let atr: [UInt8]
  let card: Mutex<Card>
  let answers = Mutex<[[UInt8]]>([])

  init(card: Card) {
    atr = card.atr
    self.card = Mutex(card)
  }

  func transmitRaw(_ command: [UInt8]) async throws(CardReaderError) -> [UInt8] {
    let answer = card.withLock { $0.respond(to: command) }
    answers.withLock { $0.append(answer) }
    return answer
  }

  func disconnect() async {}
}

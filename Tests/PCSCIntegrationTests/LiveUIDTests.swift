import CardEmulation
import CardIdentification
import CardReader
import Foundation
import HexCoding
import LoyaltyCore
import TestSupport
import Testing

extension LiveStack {
  /// Random UIDs, a third of them digits only, on vpcd through pcscd: each is read as a UID and
  /// enrols (the bug this guards: a 7-byte UID of digits only was taken for a loyalty number and
  /// could never be enrolled).
  @Suite("UIDs over vpcd")
  struct LiveUIDTests {
    @Test func randomUIDsAreReadAsUIDsAndEnrol() async throws {
      let dir = FileManager.default.temporaryDirectory.appendingPathComponent("uids-\(UUID().uuidString)")
      try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
      let cache = dir.appendingPathComponent("t01.db").path
      let program = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../sim/program.json").standardized.path
      let at = "2026-11-16T09:00:00Z"
      let load = try runToCompletion(
        BuiltProducts.loyaltyTerminal, ["program", "load", program, "--cache", cache, "--terminal", "T01", "--at", at])
      #expect(load.status == 0, "\(load.errors)")

      let daemon = try await PCSCDaemon.start()
      defer { daemon.stop() }
      let taps = EventRecorder(TapWatcher(system: Live.system(), identifier: Live.identifier).events())
      defer { Task { await taps.stop() } }
      var uids = RandomUIDs.make(count: 9, seed: 20)
      uids.append([0x04, 0x67, 0x36, 0x30, 0x62, 0x77, 0x00])  // the issue's own
      for uid in uids {
        let card = Live.card(UIDCard(uid: uid))
        try card.insert()
        let event = try await taps.next("a tap", within: .seconds(10)) { if case .tap = $0 { true } else { false } }
        card.remove()
        guard case .tap(let tap) = event else { continue }
        let identity = try tap.outcome.get()
        #expect(identity.card.kind == .uid && identity.card.text == Hex.encode(uid))
        let enrol = try runToCompletion(
          BuiltProducts.loyaltyTerminal,
          ["enroll", identity.id, "--cache", cache, "--terminal", "T01", "--at", at])
        #expect(enrol.status == 0, "\(Hex.encode(uid)) (digits only: \(RandomUIDs.isDigitsOnly(uid))): \(enrol.errors)")
      }
    }
  }
}

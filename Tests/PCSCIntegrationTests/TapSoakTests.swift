import CardEmulation
import CardIdentification
import CardReader
import Foundation
import HexCoding
import PCSCCardReader
import Testing
import VirtualCard

/// Many taps through the real stack: nothing may grow with the number of taps.
///
/// A campaign, not part of the README's test command: the taps go at pcscd's polling pace
/// (≈ 0.8 s per tap and slot), so 1 000 take ≈ 400 s. `.ci/campaigns` runs it with
/// LOYALTY_SOAK_TAPS=1000 (quick: 200); without the variable it is skipped.
extension LiveStack {
  @Suite(
    "Live PC/SC soak",
    .enabled(if: soakTaps > 0, "a campaign: .ci/campaigns sets LOYALTY_SOAK_TAPS"))
  struct TapSoakTests {
    static let taps = soakTaps

    /// One reader's share: tap, wait for pcscd to see it, identify, take away, wait for the removal.
    func cycle(
      slot: Int, count: Int, system: PCSCCardReaderSystem, failures: FailedTaps,
      checkpoint: @Sendable (Int) async -> Void
    )
      async throws
    {
      let reader = slot == 0 ? Live.slot0 : Live.slot1
      let events = EventRecorder(system.events())
      defer { Task { await events.stop() } }
      _ = try await events.next("\(reader) listed") { $0 == .readerAdded(reader: reader) }
      for i in 0..<count {
        let uid: [UInt8] = [0x04, UInt8(slot), UInt8(i >> 8 & 0xFF), UInt8(i & 0xFF)]
        let card = Live.card(UIDCard(uid: uid), slot: slot)
        try card.insert()
        _ = try await events.next("tap \(i) in \(reader)") {
          if case .cardInserted(reader, _) = $0 { true } else { false }
        }
        // As at the counter: a failed exchange refuses this tap and the loop goes on. vpcd now and
        // then fails one ("could not send apdu or receive rapdu" in pcscd's log); it is counted.
        // The counter (TapWatcher.read) refuses a tap whose connect fails, and so does the soak:
        // pcscd can announce a card that SCardConnect then finds gone (SCARD_E_NO_SMARTCARD).
        let session: (any CardSession)?
        let outcome: Result<CardIdentity, CardIdentificationError>
        do throws(CardReaderError) {
          let connected = try await system.connect(reader: reader)
          session = connected
          do throws(CardIdentificationError) {
            outcome = .success(try await Live.identifier.identify(connected))
          } catch {
            outcome = .failure(error)
          }
        } catch {
          session = nil
          outcome = .failure(CardIdentificationError(.readerError, error.description, readerError: error))
        }
        switch outcome {
        case .success(let identity): #expect(identity.id == Hex.encode(uid))
        case .failure(let error) where error.reason == .readerError: await failures.record(error.message)
        case .failure(let error): Issue.record("tap \(i) in \(reader): \(error.message)")
        }
        await session?.disconnect()
        card.remove()
        _ = try await events.next("removal \(i) from \(reader)") { $0 == .cardRemoved(reader: reader) }
        await checkpoint(i)
      }
    }

    @Test func thousandTapRemoveCyclesLeakNothing() async throws {
      let daemon = try await PCSCDaemon.start()
      defer { daemon.stop() }
      let system = Live.system()
      let perSlot = Self.taps / 2
      let warmup = max(1, perSlot / 10)
      let baseline = Baseline()
      let failures = FailedTaps()
      let started = ContinuousClock.now
      try await withThrowingTaskGroup(of: Void.self) { group in
        for slot in 0..<2 {
          group.addTask {
            try await cycle(slot: slot, count: perSlot, system: system, failures: failures) { i in
              if i == warmup - 1 { await baseline.record(slot: slot) }
            }
          }
        }
        try await group.waitForAll()
      }
      // Let the event monitors of the finished cycles wind down before counting descriptors.
      let (rssBefore, fdsBefore, threadsBefore) = await baseline.values
      let rssAfter = ProcessStats.residentBytes()
      let fdsAfter = ProcessStats.openDescriptors()
      let threadsAfter = ProcessStats.threads()
      let elapsed = ContinuousClock.now - started
      print(
        "soak: \(perSlot * 2) taps in \(elapsed); RSS after warm-up \(rssBefore / 1024) KiB, at end \(rssAfter / 1024) KiB; fds \(fdsBefore) → \(fdsAfter); threads \(threadsBefore) → \(threadsAfter)"
      )
      #expect(
        rssAfter - rssBefore < 8 * 1024 * 1024,
        "RSS grew by \((rssAfter - rssBefore) / 1024) KiB over \(perSlot * 2 - 2 * warmup) taps")
      #expect(fdsAfter <= fdsBefore, "open descriptors grew from \(fdsBefore) to \(fdsAfter)")
      let failed = await failures.messages
      print(
        "soak: \(failed.count) tap(s) refused by a failed exchange\(failed.isEmpty ? "" : ": " + failed.joined(separator: "; "))"
      )
      #expect(failed.count * 100 <= perSlot * 2, "more than 1% of taps failed: \(failed)")
      #expect(threadsAfter <= threadsBefore, "threads grew from \(threadsBefore) to \(threadsAfter)")
    }
  }

}

/// Taps per soak run (both vpcd slots at once), from LOYALTY_SOAK_TAPS; 0 (skipped) without it.
let soakTaps = Int(ProcessInfo.processInfo.environment["LOYALTY_SOAK_TAPS"] ?? "") ?? 0

/// Memory and descriptors once both slots are past their warm-up.
actor Baseline {
  private var slots: Set<Int> = []
  private var rss = 0
  private var fds = 0
  private var threads = 0
  func record(slot: Int) {
    slots.insert(slot)
    if slots.count == 2 {
      rss = ProcessStats.residentBytes()
      fds = ProcessStats.openDescriptors()
      threads = ProcessStats.threads()
    }
  }
  var values: (Int, Int, Int) { (rss, fds, threads) }
}

/// Taps refused because the exchange failed (the reader stack's transient errors).
actor FailedTaps {
  private(set) var messages: [String] = []
  func record(_ message: String) { messages.append(message) }
}

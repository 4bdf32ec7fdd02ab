import CounterSimulation
import Foundation
import HQBackOffice
import LoyaltyCore
import TestSupport
import Testing

@testable import LedgerFormat
@testable import LedgerStore

/// A ledger in a temporary directory with HQ's key and terminal T01 registered.
struct LedgerFixture {
  let directory: URL
  let hq: LedgerKey
  let t01: LedgerKey
  let ledger: LedgerFile
  static let t0 = UTCInstant(parsing: "2026-11-02T23:00:00Z")!

  init() throws {
    let chain = try ChainSetup(
      in: FileManager.default.temporaryDirectory.appendingPathComponent("ledger-\(UUID().uuidString)"),
      terminals: ["T01"], program: nil, at: Self.t0)
    directory = chain.directory
    hq = chain.hq
    t01 = chain.keys["T01"]!
    ledger = chain.ledger
  }

  func register(_ terminal: String, _ key: LedgerKey) throws {
    try ledger.append(
      [
        LedgerEntry(
          kind: .terminalRegister, id: "register-\(terminal)-\(key.publicKeyBase64.prefix(8))", at: Self.t0,
          terminal: "HQ", ref: terminal, data: key.publicKeyBase64)
      ],
      signer: "HQ", key: hq, at: Self.t0)
  }

  func earn(_ n: Int, terminal: String = "T01") -> LedgerEntry {
    LedgerEntry(
      kind: .earn, id: "earn-\(terminal)-R\(n)", at: Self.t0.adding(seconds: Int64(n)), terminal: terminal,
      account: "acct-1",
      card: "6280001234567895", points: 10 + Int64(n), amount: 1000, currency: "EUR", receipt: "R\(n)")
  }

  var bytes: [UInt8] { Array(FileManager.default.contents(atPath: ledger.path)!) }

  /// Writes a batch with the file's own writer but past the admission: these tests are about the
  /// chain and the seals (readers then audit the entries and leave these hand-made ones out).
  func write(_ entries: [LedgerEntry], signer: String = "T01", key: LedgerKey? = nil) throws {
    try ledger.withExclusiveLock { locked in
      var state = try locked.audited(repairing: false).state
      _ = try locked.append(entries, after: &state, signer: signer, key: key ?? t01, at: Self.t0)
    }
  }

  /// The reason the fold gives for leaving a batch out, if any.
  func exclusion() throws -> LedgerVerifier.Exclusion? { try LedgerFold.fold(path: ledger.path).0.exclusions.first }
}

@Suite("The ledger file: chain, seals, keys")
struct LedgerTests {
  let verifier = LedgerVerifier()

  @Test func appendedBatchesVerify() throws {
    let f = try LedgerFixture()
    try f.write([f.earn(1), f.earn(2)])
    let summary = try verifier.verify(path: f.ledger.path)
    #expect(summary.entries == 3 && summary.seals == 2 && summary.lastSeq == 5)
    #expect(summary.terminals == ["T01": f.t01.publicKeyBase64])
    let lines = String(decoding: f.bytes, as: UTF8.self).split(separator: "\n")
    #expect(lines.count == 6)
    #expect(lines[0].hasPrefix("{\"format\":\"loyalty-ledger/2\""))
    #expect(lines[3].hasPrefix("{\"seq\":3,\"kind\":\"earn\",\"id\":\"earn-T01-R1\""), "greppable, one object per line")
  }

  @Test func everySingleByteChangeIsCaught() throws {
    let f = try LedgerFixture()
    try f.write([f.earn(1), f.earn(2)])
    let original = f.bytes
    var caught = 0
    for i in original.indices {
      var tampered = original
      tampered[i] ^= 0x01
      // Caught: the chain breaks (a hard error), or the last batch's seal no longer holds and
      // every reader leaves the batch out (`ledger verify` lists it and exits 1).
      do {
        if try verifier.verify(tampered).excludedBatches == 0 {
          Issue.record("flipping bit 0 of byte \(i) went unnoticed")
        } else {
          caught += 1
        }
      } catch { caught += 1 }
    }
    #expect(caught == original.count)
    #expect(caught >= 1000, "the sample ledger has \(original.count) bytes")
  }

  /// Base64 decoders ignore the padding bits of the last character: a signature whose last
  /// character differs only there decodes to the same bytes. It must still be refused.
  @Test func aSignatureChangedOnlyInItsPaddingBitsIsCaught() throws {
    let f = try LedgerFixture()
    try f.write([f.earn(1)])
    let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    var bytes = f.bytes
    let end = bytes.lastIndex(of: UInt8(ascii: "="))! - 2  // "…X==" ends the 64-byte signature; X has 4 padding bits
    let value = alphabet.firstIndex(of: bytes[end])!
    bytes[end] = alphabet[value ^ 0x01]
    #expect(Data(base64Encoded: String(decoding: bytes[(end - 85)...(end + 2)], as: UTF8.self)) != nil)
    #expect(try verifier.verify(bytes).excludedBatches == 1, "the batch is left out: its seal does not verify")
  }

  @Test func deletedReorderedAndInsertedLinesAreCaught() throws {
    let f = try LedgerFixture()
    try f.write([f.earn(1), f.earn(2), f.earn(3)])
    let lines = String(decoding: f.bytes, as: UTF8.self).split(separator: "\n").map(String.init)
    func verify(_ ls: [String]) -> LedgerError? {
      do {
        _ = try verifier.verify(Array((ls.joined(separator: "\n") + "\n").utf8))
        return nil
      } catch { return error }
    }
    #expect(verify(lines) == nil)
    for i in 1..<lines.count {
      var deleted = lines
      deleted.remove(at: i)
      #expect(verify(deleted) != nil, "deleting line \(i + 1)")
    }
    for i in 1..<(lines.count - 1) {
      var swapped = lines
      swapped.swapAt(i, i + 1)
      #expect(verify(swapped) != nil, "swapping lines \(i + 1) and \(i + 2)")
    }
    var inserted = lines
    inserted.insert(lines[4], at: 5)
    #expect(verify(inserted)?.line == 6)
  }

  /// Writes a batch and its seal straight into the file, as someone bypassing the append's checks
  /// (write access to the file and a key) would.
  func forge(_ f: LedgerFixture, _ entries: [LedgerEntry], signer: String, key: LedgerKey) throws {
    var state = try f.ledger.withExclusiveLock { try $0.audited(repairing: false).state }
    var text = ""
    for var e in entries {
      state.lastSeq += 1
      e.seq = state.lastSeq
      e.prev = state.head
      let line = LedgerLine.encode(e)
      state.head = LedgerLine.hash(Array(line.utf8))
      text += line + "\n"
    }
    var seal = LedgerEntry(
      seq: state.lastSeq + 1, kind: .seal, id: "seal-\(state.lastSeq + 1)", at: LedgerFixture.t0, terminal: signer,
      count: entries.count, key: key.publicKeyBase64, prev: state.head)
    seal.sig = try key.sign(seal: seal)
    text += LedgerLine.encode(seal) + "\n"
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: f.ledger.path))
    try handle.seekToEnd()
    try handle.write(contentsOf: Data(text.utf8))
    try handle.close()
  }

  @Test func forgedUnregisteredAndRevokedSealsAreRejected() throws {
    let f = try LedgerFixture()
    let intruder = try LedgerKey.generate(at: f.directory.appendingPathComponent("intruder.key").path)
    // The append refuses to write what verification would refuse…
    #expect(throws: LedgerError.self) {
      try f.ledger.append([f.earn(1)], signer: "T01", key: intruder, at: LedgerFixture.t0)
    }
    // …and verification catches it when someone writes it anyway: a seal claiming to be T01 but
    // signed with another key.
    try forge(f, [f.earn(1)], signer: "T01", key: intruder)
    // Left out by every reader, named; never a halt.
    _ = try verifier.verify(path: f.ledger.path)
    #expect(try f.exclusion()?.reason == "seal by T01 with a key HQ did not register for it")
    #expect(try f.exclusion()?.sealLine == 5)

    let g = try LedgerFixture()
    try forge(g, [g.earn(1, terminal: "T09")], signer: "T09", key: intruder)
    #expect(try g.exclusion()?.reason == "seal by terminal T09, which is not registered (or was revoked)")

    let h = try LedgerFixture()
    try h.write([h.earn(1)])
    try h.ledger.append(
      [LedgerEntry(kind: .terminalRevoke, id: "revoke-T01", at: LedgerFixture.t0, terminal: "HQ", ref: "T01")],
      signer: "HQ", key: h.hq,
      at: LedgerFixture.t0)
    #expect(try verifier.verify(path: h.ledger.path).terminals.isEmpty)
    #expect(throws: LedgerError.self) {
      try h.write([h.earn(2)])
    }
    try forge(h, [h.earn(2)], signer: "T01", key: h.t01)
    #expect(try h.exclusion()?.reason == "seal by terminal T01, which is not registered (or was revoked)")
    #expect(try h.exclusion()?.sealLine == 9)

    // A terminal cannot seal HQ's kinds or another terminal's entries.
    let k = try LedgerFixture()
    let adjustment = LedgerEntry(
      kind: .adjustment, id: "adj-1", at: LedgerFixture.t0, terminal: "T01", account: "acct-1", points: 1000)
    #expect(throws: LedgerError.self) {
      try k.ledger.append([adjustment], signer: "T01", key: k.t01, at: LedgerFixture.t0)
    }
    try forge(k, [adjustment], signer: "T01", key: k.t01)
    #expect(try k.exclusion()?.reason == "an entry (adjustment) of T01 sealed by terminal T01")
    #expect(try LedgerFold.fold(path: k.ledger.path).0.accounts.isEmpty)
  }

  @Test func aTornTailIsNamed() throws {
    let f = try LedgerFixture()
    try f.write([f.earn(1), f.earn(2)])
    let bytes = f.bytes
    let torn = Array(bytes.dropLast(30))
    #expect(throws: LedgerError.self) { try verifier.verify(torn) }
    let lastSeal = bytes.dropLast().lastIndex(of: 0x0A)!
    let unsealed = Array(bytes[...lastSeal])
    #expect(throws: LedgerError(line: 4, "2 entries from here on are not sealed (a torn append?)")) {
      try verifier.verify(unsealed)
    }
  }

  @Test(arguments: [1, 97, 700, 4096])
  func readingInChunksSeesWhatReadingAtOnceSees(chunkSize: Int) throws {
    let f = try LedgerFixture()
    // Batches of 1, 3 and 12 entries: chunks end mid-line, mid-batch, and smaller than a batch.
    for (start, count) in [(1, 1), (2, 3), (5, 12), (17, 3)] {
      try f.write((start..<(start + count)).map { f.earn($0) })
    }
    var whole = LedgerVerifier.State()
    var tail = LedgerVerifier.Tail.clean
    let expected = try verifier.advance(&whole, over: f.bytes[...], tail: &tail)
    var streamed: [LedgerEntry] = []
    let state = try LedgerVerifier.readVerified(path: f.ledger.path, chunkSize: chunkSize) { streamed.append($0) }
    #expect(streamed == expected && streamed.count == 1 + 1 + 1 + 1 + 3 + 1 + 12 + 1 + 3 + 1)
    #expect(state == whole && tail == .clean)

    // A torn last batch is still an error, named at its first line, whatever the chunk size.
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: f.ledger.path))
    try handle.seekToEnd()
    try handle.write(contentsOf: Data(LedgerLine.encode(f.earn(99)).utf8) + Data("\n{\"seq\":".utf8))
    try handle.close()
    #expect {
      _ = try LedgerVerifier.readVerified(path: f.ledger.path, chunkSize: chunkSize) { _ in }
    } throws: { ($0 as? LedgerError)?.line == whole.lines + 1 }
  }
  @Test func keyFilesMustBeOwnerOnly() throws {
    let f = try LedgerFixture()
    let path = f.directory.appendingPathComponent("T01.key").path
    var info = stat()
    stat(path, &info)
    #expect(info.st_mode & 0o777 == 0o600)
    _ = try LedgerKey.load(from: path)
    chmod(path, 0o644)
    let error = #expect(throws: LedgerError.self) { try LedgerKey.load(from: path) }
    #expect(error?.reason.contains("mode 644") == true)
    #expect(throws: LedgerError.self) { try LedgerKey.generate(at: path) }  // never overwrites
  }

  @Test func linesAreCanonical() throws {
    let f = try LedgerFixture()
    try f.write([f.earn(1)])
    let text = String(decoding: f.bytes, as: UTF8.self)
    let respaced = text.replacingOccurrences(of: "\"kind\":\"earn\"", with: "\"kind\": \"earn\"")
    #expect(throws: LedgerError.self) { try verifier.verify(Array(respaced.utf8)) }
  }
}

@Suite("Canonical line scanner")
struct CanonicalLineTests {
  @Test func whateverParsesEncodesBackToTheSameBytes() throws {
    var rng = SeededGenerator(seed: 11)
    let samples = [
      LedgerEntry(
        seq: 7, kind: .earn, id: "earn-T01-R1", at: UTCInstant(parsing: "2026-11-02T09:16:00Z")!, terminal: "T01",
        account: "acct-1", card: "04A1B2C3", points: 59, amount: 3249, currency: "EUR", receipt: "R1",
        prev: String(repeating: "a", count: 64)),
      LedgerEntry(
        seq: 8, kind: .adjustment, id: "adj \"quoted\" \\ tab\t nl\n ctl\u{01} é ✓",
        at: UTCInstant(parsing: "2026-11-02T09:16:00Z")!,
        terminal: "HQ", account: "acct-2", points: -100, data: "{\"json\": [1, 2]}", prev: ""),
      Self.windowedEarn,
    ]
    var accepted = 0
    for sample in samples {
      let line = Array(LedgerLine.encode(sample).utf8)
      #expect(try LedgerLine.parseEntry(line[...], line: 1) == sample)
      for _ in 0..<20_000 {
        var mutated = line
        switch rng.next() % 3 {
        case 0: mutated[Int(rng.next() % UInt64(mutated.count))] = UInt8(truncatingIfNeeded: rng.next())
        case 1: mutated.remove(at: Int(rng.next() % UInt64(mutated.count)))
        default: mutated.insert(UInt8(truncatingIfNeeded: rng.next()), at: Int(rng.next() % UInt64(mutated.count + 1)))
        }
        if let entry = try? LedgerLine.parseEntry(mutated[...], line: 1) {
          accepted += 1
          #expect(
            Array(LedgerLine.encode(entry).utf8) == mutated,
            "accepted a non-canonical spelling: \(String(decoding: mutated, as: UTF8.self))")
        }
      }
    }
    #expect(accepted > 0, "some mutations (a digit, a letter in a string) stay canonical")
  }

  /// An earn as a counter writes it now: with the return window of its version (0 included).
  static let windowedEarn = LedgerEntry(
    Entry(
      kind: .earn, id: "earn-T01/R2", at: UTCInstant(parsing: "2026-11-02T09:16:00Z")!, terminal: "T01",
      account: "acct-1", card: "04A1B2C3", points: 40, amount: 2000, currency: "EUR", receipt: "T01/R2",
      lines: [PurchaseLine(category: "fresh", amount: 2000)], version: 2, tier: "Bronze", pendingDays: 14, basis: 5),
    seq: 9, prev: String(repeating: "b", count: 64))

  /// The return window is written after the tier; an earn line from before it was recorded (no
  /// `pendingDays`) still parses, with no window, and encodes back to its very bytes.
  @Test func anEarnLineCarriesItsWindowAndOneFromBeforeHasNone() throws {
    let line = LedgerLine.encode(Self.windowedEarn)
    #expect(line.contains(#""version":2,"tier":"Bronze","pendingDays":14,"basis":5,"prev":"#))
    let legacy = line.replacingOccurrences(of: #""pendingDays":14,"#, with: "")
    let parsed = try LedgerLine.parseEntry(ArraySlice(legacy.utf8), line: 1)
    #expect(parsed.pendingDays == nil && parsed.tier == "Bronze" && parsed.basis == 5)
    #expect(LedgerLine.encode(parsed) == legacy)
    let misplaced = legacy.replacingOccurrences(of: #""basis":5,"#, with: #""basis":5,"pendingDays":14,"#)
    #expect(throws: LedgerError.self) { try LedgerLine.parseEntry(ArraySlice(misplaced.utf8), line: 1) }
  }
}

/// What the fold does with entries the reducer refuses: every reader skips them alike.
@Suite("The fold's refusals")
struct FoldRefusalTests {
  @Test func anOverflowingEntryIsSkippedAndListedNotATrap() throws {
    let f = try LedgerFixture()
    let huge = 5_000_000_000_000_000_000 as Int64
    let adjustments = [
      LedgerEntry(kind: .adjustment, id: "a1", at: LedgerFixture.t0, terminal: "HQ", account: "acct-1", points: huge),
      LedgerEntry(kind: .adjustment, id: "a2", at: LedgerFixture.t0, terminal: "HQ", account: "acct-1", points: huge),
      LedgerEntry(kind: .adjustment, id: "a3", at: LedgerFixture.t0, terminal: "HQ", account: "acct-1", points: .min),
    ]
    // HQ's own admission refuses the batch whole (nothing appended)…
    #expect(throws: LedgerError.self) {
      try f.ledger.append(adjustments, signer: "HQ", key: f.hq, at: LedgerFixture.t0)
    }
    // …and written past it, every reader skips what overflows alike.
    try f.write(adjustments, signer: "HQ", key: f.hq)
    let (fold, _) = try LedgerFold.fold(path: f.ledger.path)
    #expect(fold.accounts["acct-1"]?.balance == huge)
    #expect(fold.refused.map(\.id) == ["a2", "a3"])
    _ = try LedgerExport.export(path: f.ledger.path, format: .hledger)
    _ = try LedgerReport.build(path: f.ledger.path, from: nil, until: nil, asOf: nil)
  }
}

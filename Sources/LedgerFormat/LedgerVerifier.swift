import Foundation
import LocalFiles
import LoyaltyCore
import SystemPackage

/// Checks a whole ledger: the header, every line's place in the chain, sequence numbers, and
/// that every batch is closed by a valid seal from HQ or a terminal HQ registered (and had not
/// revoked). Stops at the first bad line and names it.
public struct LedgerVerifier {
  /// What a clean ledger holds.
  public struct Summary: Hashable, Sendable {
    public var entries: Int
    public var seals: Int
    public var lastSeq: Int64
    public var chainHead: String
    /// Terminal → public key, as registered and not revoked.
    public var terminals: [String: String]
    /// Sealed batches left out of every fold: their seal is not a valid one by a registered
    /// writer (written past the admission).
    public var excludedBatches: Int

    init(_ state: State) {
      excludedBatches = state.excludedBatches
      entries = state.entries
      seals = state.seals
      lastSeq = state.lastSeq
      chainHead = state.head
      terminals = state.terminals
    }
  }

  public init() {}

  public func verify(path: String) throws(LedgerError) -> Summary {
    Summary(try Self.readVerified(path: path) { _ in })
  }

  /// Reads and verifies a whole ledger file in chunks, handing every sealed entry (seals
  /// included) to `each` in order, and returns the final state. Memory stays the size of a chunk
  /// plus the largest batch, whatever the ledger's length.
  public static func readVerified(
    path: String, chunkSize: Int = 8 << 20, each: (LedgerEntry) -> Void,
    excluded: (Exclusion) -> Void = { _ in }
  ) throws(LedgerError) -> State {
    var tail = Tail.clean
    let state = try readVerified(path: path, chunkSize: chunkSize, tail: &tail, each: each, excluded: excluded)
    if case .torn(_, let line, let reason) = tail { throw LedgerError(line: line, reason) }
    return state
  }

  /// `readVerified`, reporting an incomplete last batch in `tail` instead of throwing (the state
  /// ends after the last sealed batch): what a sync reads before it cuts a torn append.
  public static func readVerified(
    path: String, chunkSize: Int = 8 << 20, tail: inout Tail, each: (LedgerEntry) -> Void,
    excluded: (Exclusion) -> Void = { _ in }
  ) throws(LedgerError) -> State {
    let state: State
    do {
      state = try LedgerChunkReader(path: path, chunkSize: chunkSize).read(
        from: State(), tail: &tail, each: each, excluded: excluded)
    } catch let error as LedgerError {
      throw error
    } catch {
      throw LedgerError(line: 0, "cannot read ledger \(path): \(error)")
    }
    guard state.hqKey != nil else { throw LedgerError(line: 1, "the ledger is empty: it has no header line") }
    return state
  }

  public func verify(_ bytes: [UInt8]) throws(LedgerError) -> Summary {
    var state = State()
    _ = try advance(&state, over: bytes[...])
    guard state.hqKey != nil else { throw LedgerError(line: 1, "the ledger is empty: it has no header line") }
    return Summary(state)
  }

  /// Where a verification stands after the last sealed batch: enough to go on from there without
  /// reading the ledger again from the start (the sync keeps it as its checkpoint).
  public struct State: Codable, Hashable, Sendable {
    /// Byte offset just after the last sealed batch.
    public var offset = 0
    /// Lines up to `offset`.
    public var lines = 0
    public var lastSeq: Int64 = 0
    public var head = ""
    public var hqKey: String?
    public var terminals: [String: String] = [:]
    public var entries = 0
    public var seals = 0
    public var excludedBatches = 0
    /// HQ's restores from a backup, in ledger order (nil when the ledger holds none).
    public var restores: [RestoreMark]?

    /// The restore whose lost history a reader at `lastSeq` read, if any.
    public func restore(losing lastSeq: Int64) -> RestoreMark? { restores?.first { $0.lost(lastSeq) } }

    public init() {}

    enum CodingKeys: String, CodingKey {
      case offset, lines, lastSeq, head, hqKey, terminals, entries, seals, excludedBatches, restores
    }

    public init(from decoder: any Decoder) throws {
      let c = try decoder.container(keyedBy: CodingKeys.self)
      offset = try c.decode(Int.self, forKey: .offset)
      lines = try c.decode(Int.self, forKey: .lines)
      lastSeq = try c.decode(Int64.self, forKey: .lastSeq)
      head = try c.decode(String.self, forKey: .head)
      hqKey = try c.decodeIfPresent(String.self, forKey: .hqKey)
      terminals = try c.decode([String: String].self, forKey: .terminals)
      entries = try c.decode(Int.self, forKey: .entries)
      seals = try c.decode(Int.self, forKey: .seals)
      excludedBatches = try c.decodeIfPresent(Int.self, forKey: .excludedBatches) ?? 0
      restores = try c.decodeIfPresent([RestoreMark].self, forKey: .restores)
    }
  }

  /// Where HQ restored its ledger from a backup: the backup's last seq (`point`) and the restore
  /// line's seq. A reader whose position lies between them synced history HQ lost.
  public struct RestoreMark: Codable, Hashable, Sendable {
    public var point: Int64
    public var seq: Int64

    public init(point: Int64, seq: Int64) {
      self.point = point
      self.seq = seq
    }

    /// Whether a reader at `lastSeq` read lines HQ lost (and must go back to `point` or before).
    public func lost(_ lastSeq: Int64) -> Bool { lastSeq > point && lastSeq < seq }
  }

  /// A sealed batch left out of every fold, and why.
  public struct Exclusion: Hashable, Sendable {
    /// The batch's first line and its seal's line.
    public var firstLine: Int
    public var sealLine: Int
    public var signer: String
    public var entries: Int
    public var reason: String
    /// The batch's first seq and its seal's (lines and seqs differ once a restore skipped seqs).
    public var firstSeq: Int64 = 0
    public var sealSeq: Int64 = 0
  }

  /// What lies after the last sealed batch: nothing, or an incomplete append.
  public enum Tail: Hashable, Sendable {
    case clean
    /// `bytes` after the last sealed batch that do not form one (a torn line, or entries without
    /// their seal): what an append killed midway leaves. `line` is where it starts.
    case torn(bytes: Int, line: Int, reason: String)
  }

  /// Verifies `bytes` (the ledger from `state.offset` on), moving `state` past every sealed batch
  /// and returning the entries of those batches, seals included. A bad line throws; an
  /// incomplete last batch is reported in `tail` and left out of `state`.
  public func advance(_ state: inout State, over bytes: ArraySlice<UInt8>, tail: inout Tail) throws(LedgerError)
    -> [LedgerEntry]
  {
    var accepted: [LedgerEntry] = []
    try advance(&state, over: bytes, tail: &tail, each: { accepted.append($0) })
    return accepted
  }

  /// `advance`, handing each entry of a sealed batch to `each` (in order, seal last) instead of
  /// collecting them.
  public func advance(
    _ state: inout State, over bytes: ArraySlice<UInt8>, tail: inout Tail, each: (LedgerEntry) -> Void,
    excluded: (Exclusion) -> Void = { _ in }
  ) throws(LedgerError) {
    tail = .clean
    guard !bytes.isEmpty else { return }
    try bytes.withUnsafeBufferPointer { (buffer) throws(LedgerError) in
      try advance(&state, over: buffer, tail: &tail, each: each, excluded: excluded)
    }
  }

  func advance(
    _ state: inout State, over bytes: UnsafeBufferPointer<UInt8>, tail: inout Tail, each: (LedgerEntry) -> Void,
    excluded: (Exclusion) -> Void
  ) throws(LedgerError) {
    let base = bytes.baseAddress!
    var position = 0
    var sealedEnd = 0
    var lineNumber = state.lines
    var head = state.head
    var lastSeq = state.lastSeq
    var batch: [LedgerEntry] = []
    var batchStart = 0
    defer { state.offset += sealedEnd }
    while position < bytes.count {
      lineNumber += 1
      guard let newline = memchr(base + position, 0x0A, bytes.count - position) else {
        tail = .torn(
          bytes: bytes.count - sealedEnd, line: batch.isEmpty ? lineNumber : batchStart,
          reason: "line \(lineNumber) is torn (no newline)")
        return
      }
      let end = base.distance(to: newline.assumingMemoryBound(to: UInt8.self))
      let line = UnsafeBufferPointer(rebasing: bytes[position..<end])
      position = end + 1
      if state.hqKey == nil {
        state.hqKey = try LedgerLine.parseHeader(ArraySlice(line)).hqKey
        head = LedgerLine.hash(line)
        state.head = head
        state.lines = lineNumber
        sealedEnd = position
        continue
      }
      // A bad last line (nothing complete after it) is past every seal: an unsealed tail like a
      // torn line, which the next writer cuts, not a halt for every reader. Anywhere else it is
      // damage, named with its line.
      let lastLine = memchr(base + position, 0x0A, bytes.count - position) == nil
      func bad(_ error: LedgerError) throws(LedgerError) {
        guard lastLine else { throw error }
        tail = .torn(
          bytes: bytes.count - sealedEnd, line: batch.isEmpty ? lineNumber : batchStart,
          reason: "line \(lineNumber), the last, is not one that follows: \(error.reason)")
      }
      let entry: LedgerEntry
      do { entry = try LedgerLine.parseEntry(line, line: lineNumber) } catch {
        try bad(error)
        return
      }
      guard entry.prev == head else {
        try bad(
          LedgerError(
            line: lineNumber,
            "does not follow line \(lineNumber - 1): its prev is not the hash of that line (one of them was changed, or a line was removed or inserted)"
          ))
        return
      }
      // A restore's seq jumps past the lost history's; it opens its batch and names the seq before it.
      let restoring = entry.kind == .restore && batch.isEmpty && entry.data == "\(lastSeq)" && entry.seq > lastSeq
      guard entry.seq == lastSeq + 1 || restoring else {
        try bad(LedgerError(line: lineNumber, "seq \(entry.seq) where \(lastSeq + 1) was due"))
        return
      }
      lastSeq = entry.seq
      head = LedgerLine.hash(line)
      guard entry.kind == .seal else {
        if batch.isEmpty { batchStart = lineNumber }
        batch.append(entry)
        continue
      }
      if let problem = sealProblem(entry, batch: batch, hqKey: state.hqKey!, terminals: state.terminals) {
        // Written past the admission: left out of every fold, named, never a halt.
        excluded(
          Exclusion(
            firstLine: batch.isEmpty ? lineNumber : batchStart, sealLine: lineNumber, signer: entry.terminal,
            entries: batch.count, reason: problem, firstSeq: batch.first?.seq ?? entry.seq, sealSeq: entry.seq))
        state.excludedBatches += 1
      } else {
        if entry.terminal == Entry.hq {
          for e in batch where e.kind == .terminalRegister { state.terminals[e.ref ?? ""] = e.data }
          for e in batch where e.kind == .terminalRevoke { state.terminals[e.ref ?? ""] = nil }
          for e in batch where e.kind == .restore {
            state.restores = (state.restores ?? []) + [RestoreMark(point: Int64(e.data ?? "") ?? 0, seq: e.seq)]
          }
        }
        for e in batch { each(e) }
        each(entry)
      }
      state.entries += batch.count
      state.seals += 1
      state.lastSeq = lastSeq
      state.head = head
      state.lines = lineNumber
      sealedEnd = position
      batch.removeAll(keepingCapacity: true)
    }
    if !batch.isEmpty {
      tail = .torn(
        bytes: bytes.count - sealedEnd, line: batchStart,
        reason: "\(batch.count) entr\(batch.count == 1 ? "y" : "ies") from here on are not sealed (a torn append?)")
    }
  }

  /// `advance` for a whole ledger: an incomplete tail is an error.
  func advance(_ state: inout State, over bytes: ArraySlice<UInt8>) throws(LedgerError) -> [LedgerEntry] {
    var tail = Tail.clean
    let entries = try advance(&state, over: bytes, tail: &tail)
    if case .torn(_, let line, let reason) = tail { throw LedgerError(line: line, reason) }
    return entries
  }

  /// Why `signer` may not seal `batch` with `key` in a ledger with this HQ key and these
  /// registrations (and the batch entry at fault, if one is), or nil. The one rule for the
  /// verifier and for every append, so nothing verification would refuse is ever written.
  package static func signerProblem(
    _ signer: String, key: String, batch: [LedgerEntry], hqKey: String, terminals: [String: String]
  ) -> (entry: Int?, reason: String)? {
    if signer == Entry.hq {
      return key == hqKey ? nil : (nil, "seal signed as HQ with a key that is not HQ's")
    }
    guard let registered = terminals[signer] else {
      return (nil, "seal by terminal \(signer), which is not registered (or was revoked)")
    }
    // HQ's service seals a batch it admitted in the terminal's name with HQ's own key (the
    // terminal signed its request); a terminal on the file path seals with its registered key.
    guard registered == key || key == hqKey else {
      return (nil, "seal by \(signer) with a key HQ did not register for it")
    }
    if let i = batch.firstIndex(where: { $0.terminal != signer || !$0.kind.isCounterKind }) {
      return (i, "an entry (\(batch[i].kind.rawValue)) of \(batch[i].terminal) sealed by terminal \(signer)")
    }
    return nil
  }

  /// Why a seal does not close its batch validly (count, signer, key, signature), or nil.
  func sealProblem(_ seal: LedgerEntry, batch: [LedgerEntry], hqKey: String, terminals: [String: String]) -> String? {
    guard !batch.isEmpty else { return "a seal closing no entries (an empty batch)" }
    guard let count = seal.count, count == batch.count else {
      return "seal closes \(seal.count.map(String.init) ?? "no") entries; the batch has \(batch.count)"
    }
    guard let key = seal.key, seal.sig != nil else { return "seal without key or signature" }
    if let problem = Self.signerProblem(seal.terminal, key: key, batch: batch, hqKey: hqKey, terminals: terminals) {
      return problem.reason
    }
    guard LedgerKey.verify(seal: seal) else { return "seal signature does not verify" }
    return nil
  }
}

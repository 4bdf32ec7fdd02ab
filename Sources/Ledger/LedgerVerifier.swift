import Foundation
import LocalFiles

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

    init(_ state: State) {
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
  public static func readVerified(path: String, chunkSize: Int = 8 << 20, each: (LedgerEntry) -> Void)
    throws(LedgerError) -> State
  {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { throw LedgerError(line: 0, "cannot read ledger \(path): \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    var state = State()
    var buffer = [UInt8](repeating: 0, count: max(1, chunkSize))
    while true {
      var filled = 0
      while filled < buffer.count {
        let n = SystemCall.retrying {
          buffer.withUnsafeMutableBytes {
            pread(fd, $0.baseAddress! + filled, $0.count - filled, off_t(state.offset + filled))
          }
        }
        if n == 0 { break }
        guard n > 0 else {
          throw LedgerError(line: 0, "cannot read ledger \(path): \(String(cString: strerror(errno)))")
        }
        filled += n
      }
      let atEnd = filled < buffer.count
      let before = state.offset
      var tail = Tail.clean
      try LedgerVerifier().advance(&state, over: buffer[..<filled], tail: &tail, each: each)
      if atEnd {
        if case .torn(_, let line, let reason) = tail { throw LedgerError(line: line, reason) }
        guard state.hqKey != nil else { throw LedgerError(line: 1, "the ledger is empty: it has no header line") }
        return state
      }
      // The chunk ends inside a batch: read again from the batch's start, with room for all of it.
      if state.offset == before { buffer = [UInt8](repeating: 0, count: buffer.count * 2) }
    }
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

    public init() {}
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
    try advance(&state, over: bytes, tail: &tail) { accepted.append($0) }
    return accepted
  }

  /// `advance`, handing each entry of a sealed batch to `each` (in order, seal last) instead of
  /// collecting them.
  public func advance(
    _ state: inout State, over bytes: ArraySlice<UInt8>, tail: inout Tail, each: (LedgerEntry) -> Void
  ) throws(LedgerError) {
    tail = .clean
    guard !bytes.isEmpty else { return }
    try bytes.withUnsafeBufferPointer { (buffer) throws(LedgerError) in
      try advance(&state, over: buffer, tail: &tail, each: each)
    }
  }

  func advance(
    _ state: inout State, over bytes: UnsafeBufferPointer<UInt8>, tail: inout Tail, each: (LedgerEntry) -> Void
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
      let entry = try LedgerLine.parseEntry(line, line: lineNumber)
      guard entry.prev == head else {
        throw LedgerError(
          line: lineNumber,
          "does not follow line \(lineNumber - 1): its prev is not the hash of that line (one of them was changed, or a line was removed or inserted)"
        )
      }
      guard entry.seq == lastSeq + 1 else {
        throw LedgerError(line: lineNumber, "seq \(entry.seq) where \(lastSeq + 1) was due")
      }
      lastSeq = entry.seq
      head = LedgerLine.hash(line)
      guard entry.kind == .seal else {
        if batch.isEmpty { batchStart = lineNumber }
        batch.append(entry)
        continue
      }
      try checkSeal(
        entry, batch: batch, batchStart: batchStart, line: lineNumber, hqKey: state.hqKey!, terminals: state.terminals)
      if entry.terminal == "HQ" {
        for e in batch where e.kind == .terminalRegister { state.terminals[e.ref ?? ""] = e.data }
        for e in batch where e.kind == .terminalRevoke { state.terminals[e.ref ?? ""] = nil }
      }
      for e in batch { each(e) }
      each(entry)
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
  static func signerProblem(
    _ signer: String, key: String, batch: [LedgerEntry], hqKey: String, terminals: [String: String]
  ) -> (entry: Int?, reason: String)? {
    if signer == "HQ" {
      return key == hqKey ? nil : (nil, "seal signed as HQ with a key that is not HQ's")
    }
    guard let registered = terminals[signer] else {
      return (nil, "seal by terminal \(signer), which is not registered (or was revoked)")
    }
    guard registered == key else { return (nil, "seal by \(signer) with a key HQ did not register for it") }
    if let i = batch.firstIndex(where: { $0.terminal != signer || !$0.kind.isCounterKind }) {
      return (i, "an entry (\(batch[i].kind.rawValue)) of \(batch[i].terminal) sealed by terminal \(signer)")
    }
    return nil
  }

  func checkSeal(
    _ seal: LedgerEntry, batch: [LedgerEntry], batchStart: Int, line: Int, hqKey: String, terminals: [String: String]
  ) throws(LedgerError) {
    guard let count = seal.count, count == batch.count, count > 0 else {
      throw LedgerError(
        line: line, "seal closes \(seal.count.map(String.init) ?? "no") entries; the batch has \(batch.count)")
    }
    guard let key = seal.key, seal.sig != nil else { throw LedgerError(line: line, "seal without key or signature") }
    if let problem = Self.signerProblem(seal.terminal, key: key, batch: batch, hqKey: hqKey, terminals: terminals) {
      throw LedgerError(line: problem.entry.map { batchStart + $0 } ?? line, problem.reason)
    }
    guard LedgerKey.verify(seal: seal) else {
      throw LedgerError(line: line, "seal signature does not verify")
    }
  }
}

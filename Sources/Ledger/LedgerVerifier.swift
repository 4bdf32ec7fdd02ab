import Foundation

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
  }

  public init() {}

  public func verify(path: String) throws(LedgerError) -> Summary {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw LedgerError(line: 0, "cannot read ledger \(path)")
    }
    return try verify(Array(data))
  }

  public func verify(_ bytes: [UInt8]) throws(LedgerError) -> Summary {
    guard !bytes.isEmpty else { throw LedgerError(line: 1, "empty ledger") }
    var lineNumber = 0
    var start = 0
    var header: LedgerHeader?
    var head = ""
    var lastSeq: Int64 = 0
    var batch: [LedgerEntry] = []
    var batchStart = 0
    var terminals: [String: String] = [:]
    var entries = 0
    var seals = 0
    while start < bytes.count {
      lineNumber += 1
      guard let end = bytes[start...].firstIndex(of: 0x0A) else {
        throw LedgerError(line: lineNumber, "torn line (no newline at the end of the file)")
      }
      let line = bytes[start..<end]
      start = end + 1
      if header == nil {
        header = try LedgerLine.parseHeader(line)
        head = LedgerLine.hash(line)
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
        entry, batch: batch, batchStart: batchStart, line: lineNumber, hqKey: header!.hqKey, terminals: terminals)
      if entry.terminal == "HQ" {
        for e in batch where e.kind == .terminalRegister { terminals[e.ref ?? ""] = e.data }
        for e in batch where e.kind == .terminalRevoke { terminals[e.ref ?? ""] = nil }
      }
      entries += batch.count
      seals += 1
      batch = []
    }
    guard batch.isEmpty else {
      throw LedgerError(
        line: batchStart,
        "\(batch.count) entr\(batch.count == 1 ? "y" : "ies") from here on are not sealed (a torn append?)")
    }
    return Summary(entries: entries, seals: seals, lastSeq: lastSeq, chainHead: head, terminals: terminals)
  }

  func checkSeal(
    _ seal: LedgerEntry, batch: [LedgerEntry], batchStart: Int, line: Int, hqKey: String, terminals: [String: String]
  ) throws(LedgerError) {
    guard let count = seal.count, count == batch.count, count > 0 else {
      throw LedgerError(
        line: line, "seal closes \(seal.count.map(String.init) ?? "no") entries; the batch has \(batch.count)")
    }
    guard let key = seal.key, seal.sig != nil else { throw LedgerError(line: line, "seal without key or signature") }
    if seal.terminal == "HQ" {
      guard key == hqKey else { throw LedgerError(line: line, "seal signed as HQ with a key that is not HQ's") }
    } else {
      guard let registered = terminals[seal.terminal] else {
        throw LedgerError(line: line, "seal by terminal \(seal.terminal), which is not registered (or was revoked)")
      }
      guard registered == key else {
        throw LedgerError(line: line, "seal by \(seal.terminal) with a key HQ did not register for it")
      }
      if let foreign = batch.first(where: { $0.terminal != seal.terminal || !$0.kind.isCounterKind }) {
        throw LedgerError(
          line: batchStart + batch.firstIndex(of: foreign)!,
          "a \(foreign.kind.rawValue) entry of \(foreign.terminal) sealed by terminal \(seal.terminal)")
      }
    }
    guard LedgerKey.verify(seal: seal) else {
      throw LedgerError(line: line, "seal signature does not verify")
    }
  }
}

import Crypto
import Foundation
import HexCoding
import LedgerFormat
import LoyaltyCore

/// A terminal's batch for HQ's admission: its outbox entries as canonical ledger lines, under a
/// batch id that names exactly this content (the idempotency key: a retry is the same batch).
public struct Submission: Codable, Hashable, Sendable {
  /// Hex SHA-256 of the terminal, the sync's time and the lines.
  public var batch: String
  public var terminal: String
  /// The seal's time (seconds since 1970).
  public var at: Int64
  /// Where the terminal's copy of the ledger ends (bytes): entries it holds past here are read
  /// back when the ledger has them already.
  public var since: Int
  /// The seq where the terminal's copy ends (HQ checks it is not in history a restore lost).
  public var seq: Int64?
  /// One canonical ledger line per entry (seq and prev are not the ledger's: HQ places them).
  public var lines: [String]

  /// At most this many entries in one submission (a terminal sends a larger outbox in parts).
  public static let maxEntries = 50_000

  public init(terminal: String, at: UTCInstant, since: Int, seq: Int64? = nil, entries: [Entry]) {
    self.terminal = terminal
    self.at = at.seconds
    self.since = since
    self.seq = seq
    lines = entries.enumerated().map { LedgerLine.encode(LedgerEntry($0.element, seq: Int64($0.offset + 1))) }
    batch = Self.batchID(terminal: terminal, at: self.at, lines: lines)
  }

  static func batchID(terminal: String, at: Int64, lines: [String]) -> String {
    var hash = SHA256()
    hash.update(data: Data("\(terminal)\n\(at)\n".utf8))
    for line in lines { hash.update(data: Data((line + "\n").utf8)) }
    return Hex.lowercase(digest: hash.finalize())
  }

  /// The entries, each line parsed strictly; the batch id must name this content.
  public func entries() throws(SyncProtocolError) -> [Entry] {
    guard lines.count <= Self.maxEntries else {
      throw SyncProtocolError("a batch holds at most \(Self.maxEntries) entries, this one \(lines.count)")
    }
    guard Decisions.Bounds.times.contains(UTCInstant(seconds: at)) else {
      throw SyncProtocolError("the batch's time \(at) is outside 2000…2100")
    }
    guard Self.batchID(terminal: terminal, at: at, lines: lines) == batch else {
      throw SyncProtocolError("batch id \(batch.prefix(16))… does not name this content")
    }
    var out: [Entry] = []
    out.reserveCapacity(lines.count)
    for (index, line) in lines.enumerated() {
      do throws(LedgerError) {
        out.append(try LedgerLine.parseEntry(ArraySlice(line.utf8), line: index + 1).entry)
      } catch {
        throw SyncProtocolError("entry \(index + 1) of the batch: \(error.description)")
      }
    }
    return out
  }
}

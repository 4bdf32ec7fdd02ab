import Crypto
import Foundation
import HexCoding
import LocalFiles
import LoyaltyCore
import SystemPackage

/// The states of the accounts that changed after epoch `since`, as of `epoch` — what a terminal's
/// replica applies (`since` 0 and `full`: every account, a bootstrap). The same bytes over HQ's
/// service (`GET /v1/state?since=`) and the embedded file path:
///
///     loyalty-state-delta/1\n
///     <header: JSON, one line>\n
///     <states × header.states: a 4-byte big-endian length, then the account's canonical state>
///
/// The header carries the epoch (HQ-signed over the service), the program text when it differs
/// from what the terminal holds, and how many states follow, sorted by account id. Nothing of it is
/// believed before the states applied give exactly the epoch's digest, count and liability.
///
/// A region's delta (`region`, for a partial replica) carries only the region's members, each
/// state's frame starting with 8 bytes (big-endian): the UTC day of the account's last entry in the
/// region. The replica drops what it holds whose day ran out of the region's days at the epoch's
/// `day`, and checks what is left against the region's part of the epoch. It is a full one when the
/// program the terminal holds is not the epoch's (the regions may have been redrawn).
public struct StateDelta: Sendable {
  public static let magic = "loyalty-state-delta/1"

  public struct Header: Codable, Sendable {
    public var epoch: StateEpoch
    public var since: Int64
    /// Every account follows (a bootstrap): the replica is replaced, not updated.
    public var full: Bool
    public var states: Int
    /// The program's JSON text as published, when the epoch's differs from the one at `since`.
    public var program: String?
    /// The region whose members follow (a partial replica), or nil: every account.
    public var region: String?

    public init(epoch: StateEpoch, since: Int64, full: Bool, states: Int, program: String?, region: String? = nil) {
      self.epoch = epoch
      self.since = since
      self.full = full
      self.states = states
      self.program = program
      self.region = region
    }
  }

  /// The magic line and the header line, as every delta starts.
  static func headerLines(_ header: Header) -> [UInt8] {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return Array("\(magic)\n".utf8) + Array((try? encoder.encode(header)) ?? Data()) + [0x0A]
  }

  /// Appends one account's canonical state: its length (4 bytes, big-endian), then its bytes.
  static func appendFrame(_ state: [UInt8], to out: inout [UInt8]) {
    let n = UInt32(state.count)
    out += [
      UInt8(n >> 24), UInt8(truncatingIfNeeded: n >> 16), UInt8(truncatingIfNeeded: n >> 8),
      UInt8(truncatingIfNeeded: n),
    ]
    out += state
  }

  /// SHA-256 (hex) of a text (the program's checksum in an epoch).
  public static func checksum(text: String) -> String { Hex.lowercase(digest: SHA256.hash(data: Data(text.utf8))) }

  /// The delta of `fold` (at the epoch `epoch`) after `since`: the accounts changed since then, or
  /// all of them when `since` is 0 or older than what the audit holds. `programSince` is the
  /// program checksum the receiver holds (the text is left out when equal).
  /// `region`: only that region's members, each with its day (the caller checks the epoch has it).
  public static func bytes(
    of fold: LedgerFold, epoch: StateEpoch, since: Int64, programSince: String? = nil, region: String? = nil
  ) -> [UInt8] {
    let program = epoch.programChecksum == programSince ? nil : fold.programJSON
    let changed = since > 0 && (region == nil || program == nil) ? fold.audit.changedAccounts(since: since) : nil
    let ids = (changed.map(Array.init) ?? Array(fold.accounts.keys)).sorted()
    var states: [[UInt8]] = []
    states.reserveCapacity(ids.count)
    for id in ids {
      guard let account = fold.accounts[id] else { continue }
      if let region {
        guard let day = fold.regionDay(id, region: region) else { continue }
        states.append(RegionFrame.prefix(day: day) + AccountStateEncoding.encode(account))
      } else {
        states.append(AccountStateEncoding.encode(account))
      }
    }
    let header = Header(
      epoch: epoch, since: since, full: changed == nil, states: states.count, program: program, region: region)
    var out = headerLines(header)
    out.reserveCapacity(out.count + states.reduce(0) { $0 + 4 + $1.count })
    for s in states { appendFrame(s, to: &out) }
    return out
  }
}

/// Reads a delta file: its header, then its states streamed in parts (memory flat in their number).
public struct StateDeltaReader: Sendable {
  public let path: String
  public let header: StateDelta.Header
  /// Where the states start.
  let start: Int
  /// The longest header line and the longest state read (a state is bounded by the program's
  /// windows; a longer one is not an account's).
  static let maxHeader = 4 << 20
  static let maxState = 1 << 20

  /// Opens `path` and reads its header; an error names what is wrong.
  public init(path: String) throws(StateDeltaError) {
    self.path = path
    let head: [UInt8]
    do {
      let fd = try FileDescriptor.open(atPath: path, .readOnly, options: [.closeOnExec])
      head = try fd.closeAfter({ () throws(Errno) in try fd.read(upTo: Self.maxHeader, at: 0) }, closeFailed: { $0 })
    } catch { throw StateDeltaError("cannot read the state delta \(path): \(error)") }
    let magic = Array("\(StateDelta.magic)\n".utf8)
    guard head.starts(with: magic), let end = head[magic.count...].firstIndex(of: 0x0A) else {
      throw StateDeltaError("\(path) is not a \(StateDelta.magic) file (or its header is longer than 4 MiB)")
    }
    do {
      header = try JSONDecoder().decode(StateDelta.Header.self, from: Data(head[magic.count..<end]))
    } catch { throw StateDeltaError("the state delta's header is not valid: \(error)") }
    guard header.epoch.format == StateEpoch.format else {
      throw StateDeltaError("the state delta is in \(header.epoch.format), this terminal reads \(StateEpoch.format)")
    }
    guard header.states >= 0, header.since >= 0, header.since <= header.epoch.seq else {
      throw StateDeltaError("the state delta's header names \(header.states) states from seq \(header.since)")
    }
    start = end + 1
  }

  /// Hands the states to `each` in parts of up to `part` states; throws when the file holds more
  /// or fewer than the header says, or a length out of bounds.
  public func states(part: Int = 8192, _ each: ([[UInt8]]) throws -> Void) throws {
    let fd: FileDescriptor
    do { fd = try FileDescriptor.open(atPath: path, .readOnly, options: [.closeOnExec]) } catch {
      throw StateDeltaError("cannot read the state delta \(path): \(error)")
    }
    defer { try? fd.close() }
    var offset = start
    var buffer: [UInt8] = []
    var at = 0
    var batch: [[UInt8]] = []
    var read = 0
    func fill(_ n: Int) throws -> Bool {
      if buffer.count - at >= n { return true }
      buffer.removeFirst(at)
      at = 0
      let chunk = try fd.read(upTo: max(1 << 20, n - buffer.count), at: offset)
      offset += chunk.count
      buffer += chunk
      return buffer.count >= n
    }
    while read < header.states {
      guard try fill(4) else { throw StateDeltaError("the state delta ends after \(read) of \(header.states) states") }
      let n = Int(buffer[at]) << 24 | Int(buffer[at + 1]) << 16 | Int(buffer[at + 2]) << 8 | Int(buffer[at + 3])
      guard n > 0, n <= Self.maxState else { throw StateDeltaError("state \(read + 1) of the delta has \(n) bytes") }
      at += 4
      guard try fill(n) else { throw StateDeltaError("the state delta ends inside state \(read + 1)") }
      batch.append(Array(buffer[at..<at + n]))
      at += n
      read += 1
      if batch.count == part {
        try each(batch)
        batch.removeAll(keepingCapacity: true)
      }
    }
    guard try !fill(1) else { throw StateDeltaError("the state delta holds more than its \(header.states) states") }
    if !batch.isEmpty { try each(batch) }
  }
}

/// A state delta that cannot be applied, in words: nothing of it was.
public struct StateDeltaError: Error, CustomStringConvertible, Sendable {
  public var description: String
  public init(_ description: String) { self.description = description }
}

/// Writes a delta file state by state, in parts of about a MiB (memory flat in the number of
/// states): the header first, then each state as `append` is given it, sorted by account.
public struct StateDeltaWriter: ~Copyable {
  let fd: FileDescriptor
  var buffer: [UInt8] = []
  public private(set) var bytes = 0

  /// Creates (or replaces) `path` and writes the magic line and `header`.
  public init(path: String, header: StateDelta.Header) throws(StateDeltaError) {
    do {
      fd = try FileDescriptor.open(
        atPath: path, .writeOnly, options: [.create, .truncate, .closeOnExec], permissions: [.ownerReadWrite])
    } catch { throw StateDeltaError("cannot write the state delta \(path): \(error)") }
    buffer = StateDelta.headerLines(header)
    buffer.reserveCapacity(1 << 20)
  }

  /// Adds one account's canonical state.
  public mutating func append(_ state: [UInt8]) throws(StateDeltaError) {
    StateDelta.appendFrame(state, to: &buffer)
    if buffer.count >= 1 << 20 { try flush() }
  }

  mutating func flush() throws(StateDeltaError) {
    do { try fd.write(all: buffer) } catch { throw StateDeltaError("cannot write the state delta: \(error)") }
    bytes += buffer.count
    buffer.removeAll(keepingCapacity: true)
  }

  /// Writes what is left and closes the file.
  public consuming func finish() throws(StateDeltaError) {
    try flush()
    do { try fd.close() } catch { throw StateDeltaError("cannot close the state delta: \(error)") }
  }
}

import ArgumentParser
import CounterSimulation
import Foundation
import GRDB
import HexCoding
import LedgerFormat
import LoyaltyCLISupport
import LoyaltyCore
import NightlySync
import PointsCache

/// `loyalty-devtools bench-state-worker` (hidden): a chain of `accounts` cardholders in the state
/// model, in a process of its own (its peak RSS is the terminal's): a terminal's replica
/// bootstrapped with every state, then `nights` nights of `changed` accounts each, HQ publishing
/// each night's epoch (re-hashing the changed accounts), writing the delta, and the terminal
/// verifying and applying it — beside the `sqlite3` CLI upserting the same rows, sorted by key,
/// in one transaction into a table of the same accounts. Prints one JSON object.
///
/// The states are synthetic but shaped like a cardholder's (a card, lots, receipts kept by the
/// program's windows, spend and visits): account `i` after its `v`-th change is always the same.
struct StateBenchmarkWorker: AsyncParsableCommand {
  static let configuration = CommandConfiguration(commandName: "bench-state-worker", shouldDisplay: false)

  @Option var directory: String
  @Option var accounts: Int
  @Option var changed: Int
  @Option var nights: Int
  /// The nights whose delta also runs through the sqlite3 baseline (1-based), comma-separated.
  @Option var baselineNights: String = "1"
  /// Only apply this delta file to the cache at `--cache` (a terminal's sync in a process of its
  /// own, so its peak RSS is the terminal's) and print its time and peak RSS.
  @Option var applyDelta: String?
  @Option var cache: String?
  /// Also bootstrap a partial replica of this many members of a region (0: none).
  @Option var regionMembers = 0

  static let base = UTCInstant(parsing: "2026-01-01T10:00:00Z")!

  /// Account `i` as its `v`-th change left it.
  static func state(_ i: Int, _ v: Int) -> AccountState {
    let card = ChainTraffic.loyaltyNumber(i)
    var s = AccountState(id: Identities.accountID(enrolledWith: card))
    s.enrolledAt = base.adding(days: -(i % 700))
    s.cards = [card]
    s.purchases = v
    s.lifetimeSpend = Int64(v) * 2_000
    s.lastActivity = base.adding(days: v)
    let lots = (max(0, v - 3)...v).map { k in
      PointLots.Lot(earnedAt: base.adding(days: k), expiresAt: base.adding(days: k + 365), remaining: Int64(50 + k))
    }
    s.lots = (try? PointLots(lots: lots, deficit: 0)) ?? PointLots()
    for k in max(0, v - 2)..<v {
      // Receipt ids are unique, as a till's are (one per purchase): each takes its index entry.
      s.receipts["S\(i % 1000)/R\(i)-\(k)"] = Receipt(
        account: s.id, at: base.adding(days: k).seconds, amount: 2_000, points: Int64(50 + k), refunded: 0,
        reversed: 0, pendingDays: 0)
    }
    // Its purchases' days, as the tier reads them (`loyalty-state/2`).
    s.tierDays =
      (try? TierDays(days: (max(0, v - 2)..<v).map { .init(day: base.adding(days: $0).day, spend: 2_000, visits: 1) }))
      ?? TierDays()
    return s
  }

  func run() async throws {
    if let applyDelta, let cache {
      let applied = try Self.apply(try PointsCache(path: cache), delta: applyDelta)
      emit(JSONLine.encode(["ns": applied, "peakRSSKiB": peakResidentKiB()]))
      return
    }
    let clock = ContinuousClock()
    let dir = URL(fileURLWithPath: directory)
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let cachePath = dir.appendingPathComponent("replica-\(accounts).db").path
    let rawPath = dir.appendingPathComponent("raw-\(accounts).db").path
    let deltaPath = dir.appendingPathComponent("delta-\(accounts).bin").path
    for p in [cachePath, cachePath + "-wal", cachePath + "-shm", rawPath] {
      try? FileManager.default.removeItem(atPath: p)
    }
    let cache = try PointsCache(path: cachePath)
    // The terminal is one of the chain's 1 000 shops (`S0`): its own receipts are indexed, the
    // others' are in their accounts' states only (`ReceiptIndex`).
    try cache.bind(to: "S0")
    // Every account starts in the shape it keeps (four lots, two receipts): a cache that grew
    // would be the model's doing, not the generator's.
    var versions = [UInt16](repeating: 3, count: accounts)
    var digest = StateDigest()
    var liability: Int64 = 0

    // HQ's first epoch (every account hashed) and the bootstrap delta, written state by state.
    let hashStart = clock.now
    var all: [(id: String, bytes: [UInt8])] = []
    all.reserveCapacity(accounts)
    var totalStateBytes = 0
    for i in 0..<accounts {
      let s = Self.state(i, Int(versions[i]))
      let bytes = AccountStateEncoding.encode(s)
      digest.add(bytes)
      liability += s.balance
      totalStateBytes += bytes.count
      all.append((s.id, bytes))
    }
    let fullHashNs = (clock.now - hashStart).nanoseconds
    all.sort { $0.id < $1.id }
    let bootstrap = try apply(
      cache, delta: deltaPath, states: all.map(\.bytes), since: 0, full: true, seq: 1, digest: digest,
      liability: liability)
    // The baseline's table: the same states, in a table of their own.
    let raw = try DatabaseQueue(path: rawPath)
    let rows = all
    try await raw.write { db in
      try db.execute(sql: "CREATE TABLE state (id TEXT PRIMARY KEY, state BLOB NOT NULL) WITHOUT ROWID")
      let insert = try db.makeStatement(sql: "INSERT INTO state (id, state) VALUES (?, ?)")
      for (id, bytes) in rows { try insert.execute(arguments: [id, Data(bytes)]) }
    }
    all = []
    var applyPeak = 0
    let baselineAt = Set(baselineNights.split(separator: ",").compactMap { Int($0) })
    var perNight: [[String: Any]] = []
    for night in 1...nights {
      // HQ: the night's changed accounts (distinct), each re-hashed: out with the old state, in
      // with the new one. The night's admission itself is not in this figure.
      // The night's admission (not timed): each changed account's old state and new one.
      var changes: [(old: [UInt8], oldBalance: Int64, new: AccountState)] = []
      changes.reserveCapacity(changed)
      for j in 0..<changed {
        let i = Int((UInt64(j) &* 2_654_435_761 &+ UInt64(night) &* 40_503) % UInt64(accounts))
        let v = Int(versions[i])
        let old = Self.state(i, v)
        changes.append((AccountStateEncoding.encode(old), old.balance, Self.state(i, v + 1)))
        versions[i] = UInt16(v + 1)
      }
      // HQ publishing the epoch (timed): each changed account encoded, its old element out of
      // the digest and its new one in.
      let publishStart = clock.now
      var delta: [(id: String, bytes: [UInt8])] = []
      delta.reserveCapacity(changed)
      var changedBytes = 0
      for c in changes {
        let bytes = AccountStateEncoding.encode(c.new)
        digest.remove(c.old)
        digest.add(bytes)
        liability += c.new.balance - c.oldBalance
        changedBytes += bytes.count
        totalStateBytes += bytes.count - c.old.count
        delta.append((c.new.id, bytes))
      }
      let publishNs = (clock.now - publishStart).nanoseconds
      changes = []
      delta.sort { $0.id < $1.id }
      // The terminal's sync in a process of its own: its peak RSS is the terminal's.
      let bytes = try write(
        delta: deltaPath, states: delta.map(\.bytes), since: Int64(night), full: false, seq: Int64(night + 1),
        digest: digest, liability: liability)
      let out = try await Child.succeed(
        ProductBinary.devtools.path,
        [
          "bench-state-worker", "--directory", directory, "--accounts", "\(accounts)", "--changed", "\(changed)",
          "--nights", "\(nights)", "--apply-delta", deltaPath, "--cache", cachePath,
        ], what: "the terminal's sync")
      let measured = try JSONSerialization.jsonObject(with: Data(out.output.utf8)) as? [String: Any] ?? [:]
      let applied = (ns: (measured["ns"] as? NSNumber)?.int64Value ?? 0, bytes: bytes)
      applyPeak = max(applyPeak, (measured["peakRSSKiB"] as? NSNumber)?.intValue ?? 0)
      var row: [String: Any] = [
        "night": night, "publishNs": publishNs, "applyNs": applied.ns, "deltaBytes": applied.bytes,
        "changedStateBytes": changedBytes, "cacheBytes": try fileBytes(cache, cachePath),
        "stateBytes": totalStateBytes,
      ]
      if baselineAt.contains(night) {
        row["sqlite3Ns"] = try await sqlite3Upsert(rawPath, delta, label: "n\(night)")
      }
      perNight.append(row)
      FileHandle.standardError.write(Data("bench: state night \(night) of \(nights)\n".utf8))
    }
    let region = regionMembers > 0 ? try regionBootstrap(dir) : (ns: 0, bytes: 0)
    let result: [String: Any] = [
      "accounts": accounts, "changed": changed, "fullHashNs": fullHashNs, "bootstrapNs": bootstrap.ns,
      "bootstrapBytes": bootstrap.bytes, "nights": perNight, "peakRSSKiB": applyPeak,
      "processPeakRSSKiB": peakResidentKiB(), "regionMembers": regionMembers, "regionBootstrapNs": region.ns,
      "regionBootstrapBytes": region.bytes,
    ]
    emit(JSONLine.encode(result))
  }

  /// A terminal in a region joining: a fresh cache takes the region's delta of `regionMembers`
  /// members (each frame its day, then its state; the program naming the region) and checks it
  /// against the region's part of the epoch — the sync's own code. Its time and the delta's bytes.
  func regionBootstrap(_ dir: URL) throws -> (ns: Int64, bytes: Int) {
    let path = dir.appendingPathComponent("region-\(regionMembers).db").path
    let deltaPath = dir.appendingPathComponent("region-\(regionMembers).bin").path
    for p in [path, path + "-wal", path + "-shm"] { try? FileManager.default.removeItem(atPath: p) }
    var chain = ChainTraffic(terminals: 2, days: 1, cardholders: 1, seed: 0)
    chain.regionDays = 30
    let day = Self.base.day + 10
    var digest = StateDigest()
    var liability: Int64 = 0
    var members: [(id: String, frame: [UInt8])] = []
    members.reserveCapacity(regionMembers)
    for i in 0..<regionMembers {
      let s = Self.state(i, 3)
      let bytes = AccountStateEncoding.encode(s)
      digest.add(bytes)
      liability += s.balance
      members.append((s.id, RegionFrame.prefix(day: day - Int64(i % 20)) + bytes))
    }
    members.sort { $0.id < $1.id }
    var epoch = StateEpoch(
      seq: 1, offset: 0, lines: 0, head: "", programVersion: 1, programChecksum: nil, accounts: accounts,
      liability: 0, digest: "")
    epoch.day = day
    epoch.regions = ["north": .init(accounts: regionMembers, liability: liability, digest: digest.checksum)]
    var writer = try StateDeltaWriter(
      path: deltaPath,
      header: .init(
        epoch: epoch, since: 0, full: true, states: members.count, program: chain.programText, region: "north"))
    for m in members { try writer.append(m.frame) }
    try writer.finish()
    members = []
    let bytes = (try FileManager.default.attributesOfItem(atPath: deltaPath)[.size] as? Int) ?? 0
    let cache = try PointsCache(path: path)
    let clock = ContinuousClock()
    let start = clock.now
    let reader = try StateDeltaReader(path: deltaPath)
    _ = try cache.applyStateSync(
      StateDeltaInput(
        since: 0, full: true, program: reader.header.program,
        target: ReplicaTarget(
          seq: 1, accounts: regionMembers, liability: liability, checksum: digest.checksum, programChecksum: nil,
          epoch: "{}", day: day),
        region: "north", states: { emit in try reader.states(emit) }),
      claimed: [], position: SyncPosition(state: "{}", offset: 0, lastSeq: 1, head: "", registered: true),
      at: Self.base.adding(days: 10))
    return ((clock.now - start).nanoseconds, bytes)
  }

  /// Writes `states` as a delta file and has the terminal's cache verify and apply it (the
  /// sync's own code: `StateDeltaReader` and `applyStateSync`); returns the time and the bytes.
  func apply(
    _ cache: PointsCache, delta path: String, states: [[UInt8]], since: Int64, full: Bool, seq: Int64,
    digest: StateDigest, liability: Int64
  ) throws -> (ns: Int64, bytes: Int) {
    let bytes = try write(
      delta: path, states: states, since: since, full: full, seq: seq, digest: digest, liability: liability)
    return (try Self.apply(cache, delta: path), bytes)
  }

  /// Writes the delta file HQ would serve; its size.
  func write(
    delta path: String, states: [[UInt8]], since: Int64, full: Bool, seq: Int64, digest: StateDigest,
    liability: Int64
  ) throws -> Int {
    let epoch = StateEpoch(
      seq: seq, offset: 0, lines: 0, head: "", programVersion: nil, programChecksum: nil, accounts: accounts,
      liability: liability, digest: digest.checksum)
    var writer = try StateDeltaWriter(
      path: path, header: .init(epoch: epoch, since: since, full: full, states: states.count, program: nil))
    for s in states { try writer.append(s) }
    try writer.finish()
    return (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
  }

  /// The terminal's side: reads, verifies and applies the delta at `path`; its time.
  static func apply(_ cache: PointsCache, delta path: String) throws -> Int64 {
    let clock = ContinuousClock()
    let start = clock.now
    let reader = try StateDeltaReader(path: path)
    let header = reader.header
    _ = try cache.applyStateSync(
      StateDeltaInput(
        since: header.since, full: header.full, program: nil,
        target: ReplicaTarget(
          seq: header.epoch.seq, accounts: header.epoch.accounts, liability: header.epoch.liability,
          checksum: header.epoch.digest, programChecksum: nil, epoch: "{}"),
        states: { emit in try reader.states(emit) }),
      claimed: [],
      position: SyncPosition(state: "{}", offset: 0, lastSeq: header.epoch.seq, head: "", registered: true),
      at: base.adding(days: Int(header.epoch.seq)))
    return (clock.now - start).nanoseconds
  }

  /// The cache's size once its write-ahead log is folded in.
  func fileBytes(_ cache: PointsCache, _ path: String) throws -> Int {
    try cache.checkpointWAL()
    return (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
  }

  /// The `sqlite3` CLI upserting the same rows, sorted by key, in one transaction; its wall time.
  func sqlite3Upsert(_ database: String, _ rows: [(id: String, bytes: [UInt8])], label: String) async throws
    -> Int64
  {
    let script = URL(fileURLWithPath: database + ".\(label).sql")
    var text = "PRAGMA journal_mode = WAL;\nPRAGMA synchronous = FULL;\nBEGIN;\n"
    text.reserveCapacity(rows.count * 600)
    for (id, bytes) in rows {
      text +=
        "INSERT INTO state (id, state) VALUES ('\(id)', X'\(Hex.lowercase(bytes))') "
        + "ON CONFLICT (id) DO UPDATE SET state = excluded.state;\n"
    }
    text += "COMMIT;\n"
    try text.write(to: script, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(at: script) }
    let outcome = try await Child.shell("sqlite3 -bail '\(database)' < '\(script.path)' > /dev/null")
    guard outcome.status == 0 else { throw ValidationError("sqlite3 failed (is the sqlite3 package installed?)") }
    return outcome.elapsed.nanoseconds
  }
}

import Foundation
import LedgerFormat
import LedgerStore
import LoyaltyCore
import TestSupport
import Testing

/// What could stop HQ's service without a key: a local user taking the ledger's lock, a second
/// `hq serve` on the same ledger, idle connections eating its descriptors.
@Suite("HQ's sync service keeps serving: its own lock, one writer, descriptors kept for terminals")
struct HQServiceLimitsTests {
  static func hqKey(_ f: ChainFixture) -> String { f.directory.appendingPathComponent("hq.key").path }

  /// A TCP connection to 127.0.0.1:`port` that sends nothing; -1 when refused.
  static func idleConnection(to port: Int) -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
      }
    }
    guard connected == 0 else {
      close(fd)
      return -1
    }
    return fd
  }

  static func port(_ url: String) -> Int { Int(url.split(separator: ":").last!)! }

  /// T01 synced once and with one enrolment in its outbox.
  static func chainWithOneEntry() async throws -> (ChainFixture, String) {
    let f = try ChainFixture(terminals: 1)
    try await f.sync("T01", at: ChainFixture.start.adding(seconds: 60))
    _ = try f.cache("T01").enroll(card: ChainFixture.cards[0], referrer: nil, context: f.context("T01", 0))
    return (f, try f.cache("T01").outbox()[0].id)
  }

  @Test func aReaderHoldingTheLedgersFlockDoesNotStopAdmissions() async throws {
    let (f, id) = try await Self.chainWithOneEntry()
    let hq = try await HQServiceProcess(ledger: f.ledger.path, hqKey: Self.hqKey(f))
    // Any local user who can read the ledger (mode 644) opens it read-only and flocks it.
    let reader = open(f.ledger.path, O_RDONLY | O_CLOEXEC)
    #expect(reader >= 0 && flock(reader, LOCK_EX | LOCK_NB) == 0)
    defer {
      close(reader)  // before stopping the service: before the fix its admission waits on this lock
      hq.stop()
    }
    let run = try runToCompletion(
      BuiltProducts.loyaltyTerminal,
      f.hqSyncArguments("T01", hq.url, at: ChainFixture.start.adding(days: 1))
        + ["--hq-attempts", "1", "--hq-timeout", "5"])
    #expect(run.status == 0, "the admission waited on a reader's lock: \(run.errors)")
    let (fold, _) = try LedgerFold.fold(path: f.ledger.path)
    #expect(fold.audit.contains(id: id))
    var info = stat()
    #expect(stat(f.ledger.path + ".lock", &info) == 0 && info.st_mode & 0o777 == 0o600, "LEDGER.lock is not 0600")
  }

  @Test func aSecondServeOnTheSameLedgerIsRefused() async throws {
    let f = try ChainFixture(terminals: 1)
    let hq = try await HQServiceProcess(ledger: f.ledger.path, hqKey: Self.hqKey(f))
    defer { hq.stop() }
    let second = try runToCompletion(
      "/usr/bin/timeout",
      [
        "20", BuiltProducts.loyaltyHQ, "serve", "--ledger", f.ledger.path, "--hq-key", Self.hqKey(f),
        "--listen", "127.0.0.1:0",
      ])
    #expect(second.status == 1, "a second writer started: \(second.output)")
    #expect(
      second.errors.contains("another loyalty-hq serve holds \(f.ledger.path) (pid \(hq.child.pid)); stop it first"),
      "\(second.errors)")
    // The first one still serves.
    let run = try f.syncChild("T01", hq.url, at: ChainFixture.start.adding(seconds: 60))
    #expect(run.status == 0, "\(run.errors)")
  }

  /// An admission stuck behind the writers' lock (a hung HQ command) shows in /v1/health.
  @Test func healthSaysSoWhenAnAdmissionWaitsForTheWritersLock() async throws {
    let (f, id) = try await Self.chainWithOneEntry()
    let hq = try await HQServiceProcess(ledger: f.ledger.path, hqKey: Self.hqKey(f))
    defer { hq.stop() }
    let health = { try runToCompletion("/usr/bin/curl", ["-s", "--max-time", "5", hq.url + "/v1/health"]).output }
    #expect(try health().contains(#""status":"ok""#))
    let lock = open(f.ledger.path + ".lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
    #expect(lock >= 0 && flock(lock, LOCK_EX | LOCK_NB) == 0)
    let sync = Task.detached {
      try runToCompletion(
        BuiltProducts.loyaltyTerminal,
        f.hqSyncArguments("T01", hq.url, at: ChainFixture.start.adding(days: 1))
          + ["--hq-attempts", "1", "--hq-timeout", "60"])
    }
    // The sync reaches the lock within seconds; health says so once it has waited 5 s (bounded).
    var waiting = ""
    for _ in 0..<40 where !waiting.contains("waiting") {
      try await Task.sleep(for: .seconds(1))
      waiting = try health()
    }
    close(lock)
    let run = try await sync.value
    #expect(waiting.contains(#""status":"waiting for the writers' lock""#), "\(waiting)")
    #expect(run.status == 0, "\(run.errors)")
    #expect(try LedgerFold.fold(path: f.ledger.path).0.audit.contains(id: id))
    #expect(try health().contains(#""status":"ok""#))
  }

  @Test func serveRaisesItsDescriptorLimitToTheHardLimit() async throws {
    let f = try ChainFixture(terminals: 1)
    let hq = try await HQServiceProcess(
      ledger: f.ledger.path, hqKey: Self.hqKey(f), launcher: ["/usr/bin/prlimit", "--nofile=256:2048"])
    defer { hq.stop() }
    let limits = try String(contentsOfFile: "/proc/\(hq.child.pid)/limits", encoding: .utf8)
    let line = limits.split(separator: "\n").first { $0.hasPrefix("Max open files") } ?? ""
    #expect(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst(3).prefix(2) == ["2048", "2048"])
  }

  /// More idle connections than the service takes (under a descriptor limit of 128): they are
  /// closed after the idle timeout, and a terminal's signed sync still gets through in time.
  @Test func idleConnectionsDoNotExhaustTheServicesDescriptors() async throws {
    let (f, id) = try await Self.chainWithOneEntry()
    let hq = try await HQServiceProcess(
      ledger: f.ledger.path, hqKey: Self.hqKey(f), extra: ["--idle-timeout", "1"],
      launcher: ["/usr/bin/prlimit", "--nofile=128:128"])
    defer { hq.stop() }
    var idle: [Int32] = []
    defer { for fd in idle { close(fd) } }
    for _ in 0..<200 {
      let fd = Self.idleConnection(to: Self.port(hq.url))
      if fd >= 0 { idle.append(fd) }
    }
    #expect(idle.count >= 150)
    let began = ContinuousClock.now
    let run = try runToCompletion(
      BuiltProducts.loyaltyTerminal,
      f.hqSyncArguments("T01", hq.url, at: ChainFixture.start.adding(days: 1))
        + ["--hq-attempts", "3", "--hq-timeout", "20"])
    let took = ContinuousClock.now - began
    print("a sync behind \(idle.count) idle connections took \(took)")
    #expect(run.status == 0, "\(run.errors)")
    #expect(took < .seconds(20), "the sync took \(took)")
    #expect(try LedgerFold.fold(path: f.ledger.path).0.audit.contains(id: id))
    // The idle ones were closed by the service: a read gives end of file.
    var buffer = [UInt8](repeating: 0, count: 16)
    #expect(recv(idle[0], &buffer, 16, Int32(MSG_DONTWAIT)) == 0, "an idle connection was kept open")
  }
}

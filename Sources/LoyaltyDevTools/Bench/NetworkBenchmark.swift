import Foundation
import LoyaltyCLISupport
import LoyaltyTerminalCLI

/// The network benchmarks: HQ's service on loopback, in one run —
/// - HQ's admission throughput: terminals submitting batches of 1 000 earns through the service
///   at once, against the same batches through the file path (`sync --ledger`: lock, audit the
///   whole file, admit), with HQ's CPU;
/// - a terminal's sync after N foreign entries (a night of other shops): the states of the accounts
///   they changed, verified and applied; its peak memory,
///   against the `sqlite3` CLI inserting the same entry rows in one transaction (the floor SQLite
///   and this disk allow), with HQ's CPU per terminal sync.
struct NetworkBenchmark {
  var sizes: [Int]
  var terminals: Int
  var batches: Int

  struct Phase: Decodable {
    var entries: Int?
    var ns: Int64?
    var received: Int?
    var appended: Int?
    var fileBytes: Int?
    var peakKiB: Int
  }

  func worker(_ arguments: [String]) async throws -> Phase {
    try JSONDecoder().decode(Phase.self, from: try await ExternalClient.runWorker(arguments))
  }

  func run() async throws -> [BenchRow] {
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("loyalty-net-bench-\(getpid())")
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: scratch) }
    var rows: [BenchRow] = []

    // Admission: the same batches through the file path and through the service.
    printError("bench: admission — \(terminals) terminals × \(batches) batches of 1 000 earns…")
    let admission = [
      "bench-admission-worker", "--directory", scratch.path, "--terminals", "\(terminals)", "--batches", "\(batches)",
    ]
    _ = try await worker(admission + ["--phase", "setup"])
    let file = try await worker(admission + ["--phase", "file"])
    let dir = scratch.appendingPathComponent("admission")
    let hq = try await HQChild.start(
      ledger: dir.appendingPathComponent("ledger-service.jsonl").path, hqKey: dir.appendingPathComponent("hq.key").path)
    let cpuBefore = hq.cpuNs
    let service = try await worker(admission + ["--phase", "service", "--url", hq.url])
    let admissionCPU = hq.cpuNs - cpuBefore
    let hqPeak = hq.peakKiB
    await hq.stop()
    let entries = Int64(terminals * batches * 1_000)
    guard service.appended == Int(entries), file.appended == Int(entries) else {
      throw ExternalClient.Failure(
        description: "admitted \(service.appended ?? 0) (service) and \(file.appended ?? 0) (file) of \(entries)")
    }
    let serviceNs = service.ns ?? 1
    let fileNs = file.ns ?? 1
    rows.append(
      BenchRow(
        name: "HQ admission through the service, \(terminals) terminals at once, \(terminals * batches) batches",
        samples: Int(entries),
        result:
          "\(entries * 1_000_000_000 / max(1, serviceNs)) entries/s, "
          + "\(Int64(terminals * batches) * 1_000_000_000 / max(1, serviceNs)) batches/s; HQ CPU \(ms(admissionCPU)) ms",
        baseline:
          "file path (sync --ledger): \(entries * 1_000_000_000 / max(1, fileNs)) entries/s, "
          + "\(Int64(terminals * batches) * 1_000_000_000 / max(1, fileNs)) batches/s",
        ratio: ratio(fileNs, serviceNs) + "× the file path's throughput", peakRSSKiB: hqPeak,
        metrics: ["serviceNs": serviceNs, "fileNs": fileNs, "hqCpuNs": admissionCPU, "entries": entries]))

    // A terminal's sync after N foreign entries: the states of the accounts they changed.
    for size in sizes {
      printError("bench: a terminal's sync of \(size) foreign entries — generating…")
      let base = ["bench-network-worker", "--directory", scratch.path, "--entries", "\(size)"]
      let generated = try await worker(base + ["--phase", "generate"])
      _ = try await worker(base + ["--phase", "bootstrap"])
      let net = scratch.appendingPathComponent("net-\(size)")
      let hq = try await HQChild.start(
        ledger: net.appendingPathComponent("ledger.jsonl").path, hqKey: net.appendingPathComponent("hq.key").path)
      let before = hq.cpuNs
      let sync = try await worker(base + ["--phase", "sync", "--url", hq.url])
      let hqCPU = hq.cpuNs - before
      await hq.stop()
      guard (sync.received ?? 0) > 0 else {
        throw ExternalClient.Failure(description: "the terminal received no account state after \(size) entries")
      }
      let floor = try await worker(base + ["--phase", "baseline"])
      let syncNs = sync.ns ?? 1
      let floorNs = floor.ns ?? 1
      let mib = (generated.fileBytes ?? 0) / 1_048_576
      rows.append(
        BenchRow(
          name:
            "terminal sync over HQ's service after \(size) foreign entries (ledger file \(mib) MiB): the states of "
            + "the \(sync.received ?? 0) accounts they changed, verified and applied",
          samples: size,
          result:
            "\(ms(syncNs)) ms (\(Int64(size) * 1_000_000_000 / max(1, syncNs)) entries/s), \(sync.peakKiB / 1024) MiB peak",
          baseline: "sqlite3 CLI inserting the same \(size) entry rows, one transaction: \(ms(floorNs)) ms",
          ratio: ratio(syncNs, floorNs) + "× the floor (goal for 2 M: ≤ 5 s, ≤ 150 MB)", peakRSSKiB: sync.peakKiB,
          metrics: ["syncNs": syncNs, "floorNs": floorNs, "hqCpuNs": hqCPU, "entries": Int64(size)]))
      rows.append(
        BenchRow(
          name: "HQ CPU to serve that sync (checkpoint + the state delta)", samples: size,
          result: "\(ms(hqCPU)) ms", baseline: "-",
          ratio: "× 1 000 terminals: \(hqCPU * 1_000 / 60_000_000_000) min (goal ≤ 10 min a night)", peakRSSKiB: nil,
          metrics: ["hqCpuNs": hqCPU]))
      try? FileManager.default.removeItem(at: net)
    }
    return rows
  }
}

/// `loyalty-hq serve` started for a benchmark: its URL, CPU time and peak memory.
struct HQChild {
  let pid: Int32
  let url: String

  static func start(ledger: String, hqKey: String, output: String? = nil) async throws -> HQChild {
    let out = output ?? ledger + ".serve"
    let started = try await Child.shell(
      "'\(ProductBinary.loyaltyHQ.path)' serve --ledger '\(ledger)' --hq-key '\(hqKey)' "
        + "--listen 127.0.0.1:0 --log-level warning > '\(out)' 2>/dev/null & echo $!")
    guard let pid = Int32(started.output.trimmingCharacters(in: .whitespacesAndNewlines)) else {
      throw ExternalClient.Failure(description: "could not start loyalty-hq serve")
    }
    for _ in 0..<600 {
      if let text = try? String(contentsOfFile: out, encoding: .utf8), let line = text.split(separator: "\n").first,
        line.hasPrefix("listening on ")
      {
        return HQChild(pid: pid, url: String(line.dropFirst("listening on ".count)))
      }
      try await Task.sleep(for: .milliseconds(100))
    }
    kill(pid, SIGKILL)
    throw ExternalClient.Failure(description: "loyalty-hq serve did not start within 60 s")
  }

  /// User + system CPU time so far, ns.
  var cpuNs: Int64 {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
      let close = stat.lastIndex(of: ")")
    else { return 0 }
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    // After the command: state is field 3, utime 14 and stime 15 (1-based in proc(5)).
    let ticks = (Int64(fields[11]) ?? 0) + (Int64(fields[12]) ?? 0)
    return ticks * 1_000_000_000 / Int64(sysconf(Int32(_SC_CLK_TCK)))
  }

  var peakKiB: Int { procStatusKiB("VmHWM", pid: pid) }

  func stop() async {
    kill(pid, SIGTERM)
    for _ in 0..<100 where kill(pid, 0) == 0 { try? await Task.sleep(for: .milliseconds(100)) }
    kill(pid, SIGKILL)
  }
}

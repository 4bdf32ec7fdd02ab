import ArgumentParser
import Foundation
import LedgerFormat
import LedgerStore
import LoyaltyCLISupport
import LoyaltyCore
import LoyaltyTerminalCLI
import PointsCache

/// `loyalty-terminal campaign disk-full`: the ledger's disk fills up during a sync.
struct DiskFullCampaign: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "disk-full",
    abstract: "Sync onto a ledger whose disk (a small tmpfs) is full: a clear error, nothing lost; then recover.")

  @Option(help: "Earns in the outbox that will not fit.") var earns: Int = 3_000
  @Option(help: "Size of the tmpfs, KiB.") var sizeKiB: Int = 512

  func run() async throws {
    let dir = campaignDirectory(nil, "disk-full")
    let mount = dir.appendingPathComponent("small-disk")
    try FileManager.default.createDirectory(at: mount, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    guard try await Child.shell("mount -t tmpfs -o size=\(sizeKiB)k loyalty-campaign '\(mount.path)'").status == 0
    else {
      emit("campaign disk-full: skipped (cannot mount a tmpfs here: needs root)")
      return
    }
    let failures: [String]
    do {
      failures = try await campaign(on: mount)
    } catch {
      _ = try? await Child.shell("umount '\(mount.path)'")
      throw error
    }
    _ = try await Child.shell("umount '\(mount.path)'")
    if !failures.isEmpty { throw ExitCode(1) }
  }

  /// The campaign proper, with the small disk mounted at `mount`; its failures.
  func campaign(on mount: URL) async throws -> [String] {
    let dir = mount.deletingLastPathComponent()
    // The world lives on the normal disk; only the ledger goes on the small one.
    let world = try await CampaignWorld(directory: dir.appendingPathComponent("chain"), terminals: 1)
    let ledgerPath = mount.appendingPathComponent("ledger.jsonl").path
    try FileManager.default.copyItem(atPath: world.ledger.path, toPath: ledgerPath)
    let t = world.terminals[0]
    let cache = try PointsCache(path: world.cachePath(t))
    // Ten cardholders, each within the hourly earn limit, so the whole day's traffic stays in
    // the past (a sync is never dated ahead of the machine's clock).
    let cards = (0..<10).map { String(format: "04D15CF00000%02X", $0) }
    for card in cards {
      _ = try cache.enroll(
        card: card, referrer: nil, context: .init(terminal: t, operator: "campaign", at: CampaignWorld.start))
    }
    for n in 0..<earns {
      _ = try cache.earn(
        card: cards[n % cards.count], lines: [PurchaseLine(category: "fresh", amount: 1_000 + Int64(n % 500))],
        receipt: "R\(n)",
        context: .init(
          terminal: t, operator: "campaign",
          at: CampaignWorld.start.adding(seconds: 60 + Int64(n / cards.count) * 720)))
    }
    let outbox = try cache.outbox().count
    var arguments = world.syncArguments(t, at: CampaignWorld.start.adding(days: 5))
    arguments[arguments.firstIndex(of: "--ledger")! + 1] = ledgerPath
    let sizeBefore = try fileSize(ledgerPath)

    var failures: [String] = []
    let refused = try await terminal(arguments + ["--json"])
    let (status, lines) = (refused.status, refused.lines)
    let message = lines.joined(separator: " ")
    if status == 0 { failures.append("the sync succeeded on a full disk (\(outbox) entries, \(sizeKiB) KiB)") }
    if !message.contains("No space left on device") {
      failures.append("the error does not say the disk is full: \(message)")
    }
    if try cache.outbox().count != outbox { failures.append("the outbox lost entries") }
    if try fileSize(ledgerPath) != sizeBefore { failures.append("the failed append left bytes in the ledger") }
    if (try? LedgerVerifier().verify(path: ledgerPath)) == nil { failures.append("the ledger no longer verifies") }

    // The same through HQ's service on that full disk: a clear error, nothing appended, the
    // service still up; once the disk has room (grown in place), the same sync completes.
    let hq = try await HQChild.start(
      ledger: ledgerPath, hqKey: world.directory.appendingPathComponent("hq.key").path,
      output: world.directory.appendingPathComponent("serve.out").path)
    var overService = arguments
    let at = overService.firstIndex(of: "--ledger")!
    overService.replaceSubrange(at...(at + 1), with: ["--hq", hq.url, "--hq-attempts", "1"])
    let serviceRefused = try await terminal(overService)
    let serviceMessage = serviceRefused.errors + serviceRefused.output
    if serviceRefused.status == 0 { failures.append("the sync through the service succeeded on a full disk") }
    if !serviceMessage.contains("No space left on device") {
      failures.append("the service's error does not say the disk is full: \(serviceMessage)")
    }
    if try cache.outbox().count != outbox { failures.append("the outbox lost entries (service)") }
    if try fileSize(ledgerPath) != sizeBefore { failures.append("the service's failed append left bytes") }
    let health = try await Child.run("/usr/bin/curl", ["-s", hq.url + "/v1/health"])
    if !health.output.contains("\"status\":\"ok\"") {
      failures.append("the service is not healthy after: \(health.output)")
    }
    _ = try await Child.shell("mount -o remount,size=\(sizeKiB * 16)k '\(mount.path)'")
    let serviceRetry = try await terminal(overService)
    if serviceRetry.status != 0 {
      failures.append("the service's sync after the disk grew failed: \(serviceRetry.errors)")
    }
    await hq.stop()
    let afterService = try LedgerVerifier().verify(path: ledgerPath).entries
    emit(
      "campaign disk-full (service): refused (\"\(firstError(serviceMessage))\"), outbox kept, ledger unchanged, "
        + "service healthy; after the disk grew: \(afterService) entries"
    )

    // Room again (HQ moves the ledger to a bigger disk): the same sync completes, once.
    let bigger = world.directory.appendingPathComponent("ledger-moved.jsonl").path
    try FileManager.default.copyItem(atPath: ledgerPath, toPath: bigger)
    arguments[arguments.firstIndex(of: "--ledger")! + 1] = bigger
    let retry = try await terminal(arguments)
    if retry.status != 0 { failures.append("the sync after the move failed: \(retry.lines.joined(separator: " "))") }
    let summary = try LedgerVerifier().verify(path: bigger)
    if summary.entries != 2 + outbox {
      failures.append("the ledger holds \(summary.entries) entries, expected \(2 + outbox)")
    }
    emit(
      "campaign disk-full: sync of \(outbox) entries onto a full \(sizeKiB) KiB tmpfs refused (\"\(firstError(message))\"), outbox kept, ledger unchanged; after the move \(summary.entries) entries, \(failures.count) failures"
    )
    for f in failures { emit("  \(f)") }
    return failures
  }

  func fileSize(_ path: String) throws -> Int {
    (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? -1
  }

  func firstError(_ text: String) -> String {
    guard let range = text.range(of: "cannot append") else { return String(text.prefix(80)) }
    return String(text[range.lowerBound...].prefix(100)).replacingOccurrences(of: "\"", with: "'")
  }
}

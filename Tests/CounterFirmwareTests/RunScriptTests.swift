import Foundation
import TestSupport
import Testing

/// `loyalty-terminal run --script` as a child process: keypad commands on stdin, screens on stdout.
@Suite("The counter driven by a script")
struct RunScriptTests {
  func run(_ arguments: [String], input: String) throws -> (status: Int32, lines: [String], errors: String) {
    let (status, output, errors) = try runToCompletion(BuiltProducts.loyaltyTerminal, arguments, input: input)
    return (status, output.split(separator: "\n").map(String.init), errors)
  }

  /// Time is an input: the day inside sim/program.json's fresh-x2 promotion (Nov 2026), whatever
  /// the day the test runs.
  static let at = "2026-11-16T09:00:00Z"

  /// A new cache in a temporary directory with sim/program.json loaded for T01.
  func cacheWithProgram() throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("run-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let cache = dir.appendingPathComponent("t01.db").path
    let program = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .appendingPathComponent("../../sim/program.json").standardized.path
    let load = try run(["program", "load", program, "--cache", cache, "--terminal", "T01", "--at", Self.at], input: "")
    #expect(load.status == 0)
    return cache
  }

  @Test func enrolPurchaseRefundFromAScript() throws {
    let cache = try cacheWithProgram()
    let at = Self.at
    let script = """
      # enrol; P on the welcome screen sells to the card still on the reader; the card lifted
      # before OK keeps the basket for its next tap; a minute later a sale with the till's
      # receipt R77; half of it refunded
      tap 04A1B2C3D4E5F6
      press ok ok
      press purchase 1 1250 ok ok
      remove
      tap 04A1B2C3D4E5F6
      press ok
      remove
      wait 60
      tap 04A1B2C3D4E5F6
      press purchase
      scan R77
      press 1 1250 ok ok ok
      press teleport
      remove
      press refund
      scan R77
      press 625 ok ok
      """
    let (status, lines, errors) = try run(
      ["run", "--cache", cache, "--terminal", "T01", "--simulated", "--script", "--at", at], input: script)
    #expect(status == 1, "a skipped line fails the run, at the end")
    #expect(lines.contains("screen: Welcome! | Card enrolled |  | P=buy for this card"))
    #expect(lines.contains("screen: Total 12.50 EUR? | +50 pts |  | OK=confirm C=cancel"), "the points before OK")
    #expect(lines.contains("screen: Card removed | Sale kept: tap the | same card again. | "))
    #expect(lines.contains { $0.hasPrefix("screen: +50 points | Balance 50 Bronze | Receipt T01/A") }, "a short id")
    #expect(lines.contains("screen: +50 points | Balance 100 Bronze | Receipt T01/R77 | "))
    #expect(lines.contains("screen: Receipt T01/R77 | Left 12.50 of 12.50 | Refund 0.00 EUR | <=del OK=next C=end"))
    #expect(lines.contains("screen: Refund recorded | of T01/R77 | -25 points | Balance 75"))
    #expect(
      lines.allSatisfy {
        !$0.hasPrefix("screen: ") || $0.dropFirst(8).split(separator: "|").allSatisfy { $0.count <= 22 }
      })
    #expect(errors.contains("script line 16: unknown key \"teleport\""))
    #expect(
      errors.split(separator: "\n").last
        == "loyalty-terminal run: 1 script line was skipped (see above): fix or remove them")
  }

  /// Every good line runs; the bad ones are named as they come, counted in a last line, and the
  /// run exits 1. A clean script exits 0; `quit` ends the script (what follows is not read).
  @Test func skippedLinesAreCountedAndTheRunExitsOne() throws {
    let cache = try cacheWithProgram()
    let at = Self.at
    let counter = ["run", "--cache", cache, "--terminal", "T01", "--simulated", "--script", "--at", at]

    let bad = try run(counter, input: "tap 04A1B2C3D4E5F6\nfly away\npress ok ok\npress 12x\nremove\n")
    #expect(bad.status == 1)
    #expect(
      bad.lines.contains("screen: Welcome! | Card enrolled |  | P=buy for this card"),
      "the good lines ran: \(bad.lines)")
    let errors = bad.errors.split(separator: "\n").map(String.init)
    #expect(errors.count == 3, "\(errors)")
    #expect(errors.first?.hasPrefix("script line 2: unknown command \"fly\"") == true)
    #expect(errors.dropFirst().first?.hasPrefix("script line 4: unknown key \"12x\"") == true)
    #expect(errors.last == "loyalty-terminal run: 2 script lines were skipped (see above): fix or remove them")

    let clean = try run(counter, input: "# a comment\n\ntap 04A1B2C3D4E5F6\nremove\nquit\nnot read after quit\n")
    #expect(clean.status == 0, "\(clean.errors)")
    #expect(clean.errors.isEmpty, "\(clean.errors)")
  }

  /// SIGTERM ends a run gracefully though its input never ended (stdin a pipe held open): the
  /// commands stop being read, the last screen stays the last line printed, the run exits 0.
  @Test func sigtermEndsARunGracefully() async throws {
    let cache = try cacheWithProgram()
    let child = try ChildProcess(
      BuiltProducts.loyaltyTerminal,
      ["run", "--cache", cache, "--terminal", "T01", "--simulated", "--script", "--at", Self.at], stdinPipe: true)
    child.killAfter(seconds: 60)
    let enrolled = "screen: Welcome! | Card enrolled |  | P=buy for this card"
    child.write("tap 04A1B2C3D4E5F6\npress ok ok\n")
    var output = child.lines.makeAsyncIterator()
    var lines: [String] = []
    while let line = await output.next() {
      lines.append(line)
      if line == enrolled { break }
    }
    #expect(lines.last == enrolled, "\(lines)")
    // The group traps SIGTERM before the input service reads its first command: the enrolled
    // screen came from a command, so the signal cannot kill the run.
    #expect(child.stop(with: SIGTERM, within: 10) == 0, "a graceful shutdown exits 0")
    while let line = await output.next() { lines.append(line) }
    #expect(lines.last { $0.hasPrefix("screen: ") } == enrolled, "\(lines)")
    child.closeInput()
  }

  @Test func aCacheWithoutProgramIsRefused() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("run-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let (status, lines, errors) = try run(
      ["run", "--cache", dir.appendingPathComponent("empty.db").path, "--terminal", "T01", "--simulated", "--script"],
      input: "")
    #expect(status != 0 && lines.isEmpty)
    #expect(errors.contains("has no program"))
  }
}

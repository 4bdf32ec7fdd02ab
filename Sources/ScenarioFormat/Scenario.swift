import Foundation
import LocalFiles
import LoyaltyCore

/// A scenario: a program, the chain's terminals, and timed events played through the firmware
/// (format: sim/README.md).
public struct Scenario: Sendable {
  public var program: String
  public var terminals: [String]
  public var events: [Event]

  public init(program: String, terminals: [String], events: [Event]) {
    self.program = program
    self.terminals = terminals
    self.events = events
  }

  public struct Event: Sendable {
    public var at: UTCInstant
    public var action: Action

    public init(at: UTCInstant, action: Action) {
      self.at = at
      self.action = action
    }
  }

  public enum Action: Sendable {
    case enroll(terminal: String, card: String, referrer: String?)
    /// A purchase; with `cardAfter`, the sale is entered without a card and the card is presented
    /// that many seconds after payment; with `lifted`, the card is lifted at the confirm screen and
    /// tapped again that many seconds later (the basket waits five minutes for it).
    case purchase(
      terminal: String, card: String, receipt: String?, lines: [PurchaseLine], cardAfter: Int64? = nil,
      lifted: Int64? = nil)
    case redeem(terminal: String, card: String, item: String)
    /// A refund; with `card`, the customer's card is tapped first (another counter's receipt is
    /// found through it).
    case refund(terminal: String, receipt: String, amount: Int64, card: String? = nil)
    case block(terminal: String, card: String)
    case sync([String])
    case expire
    case crash(terminal: String)
  }

  /// Parses a scenario file; `program` may be a path relative to the file or an inline object.
  /// Every problem is listed, each naming where it is (`events[3].purchase.lines[0].amount`).
  public static func load(path: String) throws -> Scenario {
    let data = try LocalFile.read(path, as: "scenario", limit: 16 << 20)
    let base = URL(fileURLWithPath: path).deletingLastPathComponent()
    return try parse(data) { relative in
      let url = URL(fileURLWithPath: relative, relativeTo: base)
      guard let text = try? String(contentsOf: url, encoding: .utf8) else { return nil }
      return text
    }
  }

  public static func parse(_ data: Data, readProgram: (String) -> String?) throws(ValidationProblems) -> Scenario {
    let w = DocumentWalker()
    let root = try JSONValue.parse(data)
    let top = w.object(root, "", required: ["program", "terminals", "events"])
    var program = ""
    switch top?["program"] {
    case .string(let relative)?:
      if let text = readProgram(relative) {
        program = text
        // Checked here, so its problems name the file and the field (the ledger would only say it
        // does not parse).
        do throws(ValidationProblems) { _ = try ProgramParser.parse(Data(text.utf8)) } catch {
          for problem in error.problems { w.problem("program", "\(relative): \(problem)") }
        }
      } else {
        w.problem("program", "cannot read \(relative) (no such file, or not UTF-8 text)")
      }
    case .object(let inline)?:
      do throws(ValidationProblems) { _ = try ProgramParser.parse(.object(inline)) } catch {
        for problem in error.problems { w.problem("program", problem) }
      }
      // The inline object's own JSON text (numbers stay as written: rates are decimal strings).
      if let any = try? JSONSerialization.jsonObject(with: data) as? [String: Any], let inline = any["program"],
        let text = try? JSONSerialization.data(withJSONObject: inline)
      {
        program = String(decoding: text, as: UTF8.self)
      }
    case let other?: w.problem("program", "must be a file path or an object, not \(other.typeName)")
    case nil: break
    }
    let terminals = (w.array(top?["terminals"], "terminals") ?? []).enumerated().compactMap {
      w.string($0.element, "terminals[\($0.offset)]", maxLength: 32)
    }
    if let top, top["terminals"] != nil, terminals.isEmpty { w.problem("terminals", "name at least one terminal") }
    if Set(terminals).count != terminals.count { w.problem("terminals", "a terminal is named twice") }
    // Terminal names become file names under --workdir: only plain ids, never a path.
    for (i, name) in terminals.enumerated() {
      if let problem = Identities.terminalIDProblem(name) { w.problem("terminals[\(i)]", problem) }
    }
    var events: [Event] = []
    var previous: UTCInstant?
    for (i, value) in (w.array(top?["events"], "events") ?? []).enumerated() {
      if let event = parseEvent(value, "events[\(i)]", terminals: Set(terminals), w) { events.append(event) }
      // Time order, checked on every event whose time reads, even one refused for other reasons.
      guard case .object(let o) = value, case .string(let text)? = o["at"], let at = UTCInstant(parsing: text) else {
        continue
      }
      if let previous, at < previous {
        w.problem("events[\(i)].at", "is earlier than the event before it (events are in time order)")
      }
      previous = at
    }
    guard w.problems.isEmpty else { throw ValidationProblems(w.problems) }
    return Scenario(program: program, terminals: terminals, events: events)
  }

  static let actions: Set<String> = ["enroll", "purchase", "redeem", "refund", "block", "sync", "hq", "crash"]

  static func parseEvent(_ value: JSONValue, _ path: String, terminals: Set<String>, _ w: DocumentWalker) -> Event? {
    guard case .object(let o) = value else {
      w.problem(path, "must be an object, not \(value.typeName)")
      return nil
    }
    let present = actions.intersection(o.keys)
    guard present.count == 1, let action = present.first else {
      w.problem(path, "needs exactly one of \(actions.sorted().joined(separator: ", "))")
      return nil
    }
    var optional: Set<String> = [action]
    var required: Set<String> = ["at"]
    switch action {
    case "enroll", "purchase", "redeem": required.formUnion(["terminal", "card"])
    case "refund":
      required.insert("terminal")
      optional.insert("card")
    case "block", "crash": required.insert("terminal")
    default: optional.insert("terminal")
    }
    let f = w.object(value, path, required: required.union([action]), optional: optional)
    guard let f, let at = w.instant(f["at"], w.join(path, "at")) else { return nil }
    var terminal = ""
    if required.contains("terminal") {
      guard let t = w.string(f["terminal"], w.join(path, "terminal")) else { return nil }
      guard terminals.contains(t) else {
        w.problem(w.join(path, "terminal"), "\(t) is not one of the scenario's terminals")
        return nil
      }
      terminal = t
    }
    let card =
      required.contains("card") || f["card"] != nil ? w.string(f["card"], w.join(path, "card"), maxLength: 32) : ""
    guard let card else { return nil }
    let sub = w.join(path, action)
    switch action {
    case "enroll":
      let fields = w.object(f["enroll"], sub, required: [], optional: ["referrer"])
      guard fields != nil else { return nil }
      var referrer: String?
      if let r = fields?["referrer"], r != .null { referrer = w.string(r, w.join(sub, "referrer"), maxLength: 32) }
      return Event(at: at, action: .enroll(terminal: terminal, card: card, referrer: referrer))
    case "purchase":
      guard
        let fields = w.object(
          f["purchase"], sub, required: ["lines"], optional: ["receipt", "cardAfterSeconds", "liftedSeconds"])
      else { return nil }
      let receipt = fields["receipt"].flatMap { w.string($0, w.join(sub, "receipt"), maxLength: 64) }
      let cardAfter = fields["cardAfterSeconds"].flatMap {
        w.integer($0, w.join(sub, "cardAfterSeconds"), in: 0...3600)
      }
      let lifted = fields["liftedSeconds"].flatMap { w.integer($0, w.join(sub, "liftedSeconds"), in: 0...3600) }
      var lines: [PurchaseLine] = []
      for (i, line) in (w.array(fields["lines"], w.join(sub, "lines")) ?? []).enumerated() {
        let lp = "\(sub).lines[\(i)]"
        guard let l = w.object(line, lp, required: ["category", "amount"]),
          let category = w.string(l["category"], w.join(lp, "category"), maxLength: 64),
          let amount = w.integer(l["amount"], w.join(lp, "amount"), in: 1...999_999_999)
        else { continue }
        lines.append(PurchaseLine(category: category, amount: amount))
      }
      // A line refused has said why already: "needs a line" only when none is written.
      if case .array(let items)? = fields["lines"], items.isEmpty {
        w.problem(w.join(sub, "lines"), "needs at least one line")
      }
      return Event(
        at: at,
        action: .purchase(
          terminal: terminal, card: card, receipt: receipt, lines: lines, cardAfter: cardAfter, lifted: lifted))
    case "redeem":
      guard let item = w.string(f["redeem"], sub, maxLength: 64) else { return nil }
      return Event(at: at, action: .redeem(terminal: terminal, card: card, item: item))
    case "refund":
      guard let fields = w.object(f["refund"], sub, required: ["receipt", "amount"]),
        let receipt = w.string(fields["receipt"], w.join(sub, "receipt"), maxLength: 64),
        let amount = w.integer(fields["amount"], w.join(sub, "amount"), in: 1...999_999_999)
      else { return nil }
      return Event(
        at: at, action: .refund(terminal: terminal, receipt: receipt, amount: amount, card: card.isEmpty ? nil : card))
    case "block":
      guard let blocked = w.string(f["block"], sub, maxLength: 32) else { return nil }
      return Event(at: at, action: .block(terminal: terminal, card: blocked))
    case "sync":
      let names = (w.array(f["sync"], sub) ?? []).enumerated().compactMap {
        w.string($0.element, "\(sub)[\($0.offset)]")
      }
      for name in names where !terminals.contains(name) {
        w.problem(sub, "\(name) is not one of the scenario's terminals")
      }
      return Event(at: at, action: .sync(names))
    case "hq":
      guard let fields = w.object(f["hq"], sub, required: ["expire"]) else { return nil }
      guard fields["expire"] == .bool(true) else {
        w.problem(w.join(sub, "expire"), "must be true (the only HQ action scenarios play)")
        return nil
      }
      return Event(at: at, action: .expire)
    default:
      guard f["crash"] == .bool(true) else {
        w.problem(sub, "must be true")
        return nil
      }
      return Event(at: at, action: .crash(terminal: terminal))
    }
  }
}

/// Reads typed fields out of a `JSONValue`, recording every problem (with its path) instead of
/// stopping at the first, so a refused document lists all that is wrong with it.
public final class DocumentWalker {
  public init() {}
  public private(set) var problems: [String] = []

  /// Records a problem at `path` (the empty path is the document itself).
  public func problem(_ path: String, _ message: String) {
    problems.append("\(path.isEmpty ? "document" : path): \(message)")
  }

  /// The fields of an object; reports unknown and missing keys. An absent value (already
  /// reported missing by its parent, or optional) yields nil silently.
  public func object(
    _ value: JSONValue?, _ path: String, required: Set<String>, optional: Set<String> = []
  ) -> [String: JSONValue]? {
    guard let value else { return nil }
    guard case .object(let fields) = value else {
      problem(path, "must be an object, not \(value.typeName)")
      return nil
    }
    for key in fields.keys.sorted() where !required.contains(key) && !optional.contains(key) {
      problem(join(path, key), "unknown field")
    }
    for key in required.sorted() where fields[key] == nil {
      problem(join(path, key), "missing")
    }
    return fields
  }

  public func array(_ value: JSONValue?, _ path: String) -> [JSONValue]? {
    guard let value else { return nil }
    guard case .array(let items) = value else {
      problem(path, "must be an array, not \(value.typeName)")
      return nil
    }
    return items
  }

  public func integer(_ value: JSONValue?, _ path: String, in range: ClosedRange<Int64>) -> Int64? {
    guard let value else { return nil }
    guard case .integer(let i) = value else {
      problem(path, "must be an integer, not \(value.typeName)")
      return nil
    }
    guard range.contains(i) else {
      problem(
        path,
        i < range.lowerBound
          ? "must not be below \(range.lowerBound), is \(i)" : "must not exceed \(range.upperBound), is \(i)")
      return nil
    }
    return i
  }

  public func string(_ value: JSONValue?, _ path: String, nonEmpty: Bool = true, maxLength: Int = 200) -> String? {
    guard let value else { return nil }
    guard case .string(let s) = value else {
      problem(path, "must be a string, not \(value.typeName)")
      return nil
    }
    if nonEmpty && s.isEmpty {
      problem(path, "must not be empty")
      return nil
    }
    guard s.count <= maxLength else {
      problem(path, "longer than \(maxLength) characters")
      return nil
    }
    return s
  }

  /// A decimal written as a string ("1.25"), at most 4 fraction digits, never negative.
  public func decimal(_ value: JSONValue?, _ path: String) -> Decimal4? {
    guard let value else { return nil }
    guard case .string(let s) = value else {
      problem(path, "must be a decimal written as a string (e.g. \"1.25\"), not \(value.typeName)")
      return nil
    }
    guard let d = Decimal4(parsing: s) else {
      if s.hasPrefix("-") {
        problem(path, "must not be negative, is \"\(s)\"")
      } else {
        problem(path, "\"\(s)\" is not a decimal with at most 4 fraction digits up to \(Decimal4.maxValue)")
      }
      return nil
    }
    return d
  }

  public func instant(_ value: JSONValue?, _ path: String) -> UTCInstant? {
    guard let s = string(value, path) else { return nil }
    guard let t = UTCInstant(parsing: s) else {
      problem(path, "\"\(s)\" is not a UTC time like 2026-11-01T00:00:00Z")
      return nil
    }
    return t
  }

  public func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }
}

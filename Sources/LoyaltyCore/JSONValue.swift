import Foundation

/// A JSON document as plain values, so validators can walk it, name unknown fields and tell an
/// integer from a fraction from a string (JSONDecoder is strict about each).
public enum JSONValue: Hashable, Sendable, Decodable {
  case null
  case bool(Bool)
  case integer(Int64)
  case number(Double)
  case string(String)
  case array([JSONValue])
  case object([String: JSONValue])

  public init(from decoder: any Decoder) throws {
    let c = try decoder.singleValueContainer()
    if c.decodeNil() {
      self = .null
    } else if let b = try? c.decode(Bool.self) {
      self = .bool(b)
    } else if let i = try? c.decode(Int64.self) {
      self = .integer(i)
    } else if let d = try? c.decode(Double.self) {
      self = .number(d)
    } else if let s = try? c.decode(String.self) {
      self = .string(s)
    } else if let a = try? c.decode([JSONValue].self) {
      self = .array(a)
    } else {
      self = .object(try c.decode([String: JSONValue].self))
    }
  }

  /// Parses a whole document strictly (`JSONReader`): a key given twice in one object is
  /// refused, and a number written with a fraction or an exponent is never an integer.
  public static func parse(_ data: Data) throws(ValidationProblems) -> JSONValue {
    try JSONReader.read(data)
  }

  /// A short name of the value's type, for messages.
  public var typeName: String {
    switch self {
    case .null: "null"
    case .bool: "a boolean"
    case .integer: "an integer"
    case .number: "a fractional number"
    case .string: "a string"
    case .array: "an array"
    case .object: "an object"
    }
  }
}

/// Every problem found in a document, each naming where (`earn.categories.fuel`) and what.
public struct ValidationProblems: Error, Hashable, Sendable, CustomStringConvertible {
  public var problems: [String]
  public init(_ problems: [String]) { self.problems = problems }
  public var description: String { problems.joined(separator: "\n") }
}

import ArgumentParser
import Foundation

/// The one line a failed command prints: what went wrong, in words, never a type dump.
public struct FailureMessage: CustomStringConvertible {
  public let description: String

  public init(_ error: any Error) {
    switch error {
    case let error as ValidationError: description = error.message
    case let error as CommandFailure: description = error.message
    case let error as any ReportedError: description = error.failureMessage
    case let error as DecodingError: description = Self.describe(error)
    case let error as CocoaError: description = Self.describe(error as NSError)
    default:
      let ns = error as NSError
      description = ns.domain == NSCocoaErrorDomain ? Self.describe(ns) : String(describing: error)
    }
  }

  /// What a JSON decoder disliked, in words: which field, and why.
  static func describe(_ error: DecodingError) -> String {
    func path(_ context: DecodingError.Context) -> String {
      let p = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
      return p.isEmpty ? "the document" : p
    }
    switch error {
    case .dataCorrupted(let c): return c.codingPath.isEmpty ? "not valid JSON" : "\(path(c)): invalid value"
    case .keyNotFound(let key, let c):
      return "\(path(c)).\(key.stringValue) is missing".replacingOccurrences(of: "the document.", with: "")
    case .typeMismatch(_, let c), .valueNotFound(_, let c): return "\(path(c)) has the wrong type"
    @unknown default: return "\(error)"
    }
  }

  /// Foundation's file errors with the path and the system's reason ("Is a directory"), not
  /// "NSCocoaErrorDomain error 256".
  private static func describe(_ error: NSError) -> String {
    let path = (error.userInfo[NSFilePathErrorKey] as? String) ?? (error.userInfo[NSURLErrorKey] as? URL)?.path
    var reason: String
    if let underlying = error.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
      reason = String(cString: strerror(Int32(underlying.code)))
    } else if let path, FileManager.default.isDirectoryPath(path) {
      reason = "Is a directory"
    } else {
      reason = error.localizedDescription
    }
    if let path { reason = "\(path): \(reason)" }
    return reason
  }
}

extension FileManager {
  /// Whether `path` names a directory (following links).
  func isDirectoryPath(_ path: String) -> Bool {
    var isDirectory: ObjCBool = false
    return fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
  }
}

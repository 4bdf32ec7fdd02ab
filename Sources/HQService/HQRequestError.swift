import Foundation
import HTTPTypes
import Hummingbird

/// A request HQ's service refuses, with the status and a reason in words (sent as JSON
/// `{"error": …}`).
public struct HQRequestError: Error, HTTPResponseError, CustomStringConvertible {
  public var status: HTTPResponse.Status
  public var description: String
  /// Short machine name for metrics (`unsigned`, `replay`, `unknownKey`, …).
  public var code: String

  public init(_ status: HTTPResponse.Status, _ description: String, code: String = "badRequest") {
    self.status = status
    self.description = description
    self.code = code
  }

  public func response(from request: Request, context: some RequestContext) throws -> Response {
    let escaped = description.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(
      of: "\"", with: "\\\"")
    return Response(
      status: status, headers: [.contentType: "application/json"],
      body: .init(byteBuffer: ByteBuffer(string: "{\"error\":\"\(escaped)\"}\n")))
  }
}

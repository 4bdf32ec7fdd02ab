import Foundation
import HTTPTypes
import Hummingbird
import LedgerFormat
import LedgerStore

/// A request HQ's service refuses, with the status and a reason in words (sent as JSON
/// `{"error": …}`).
public struct HQRequestError: Error, HTTPResponseError, CustomStringConvertible {
  public var status: HTTPResponse.Status
  public var description: String
  /// Short machine name for metrics (`unsigned`, `replay`, `unknownKey`, …).
  public var code: String
  /// For `restored`: where HQ's ledger was restored (sent as `restore`: `{point, seq}`).
  public var restore: LedgerVerifier.RestoreMark?
  /// Seconds before the request may succeed (sent as `Retry-After`).
  public var retryAfter: Int64?

  public init(_ status: HTTPResponse.Status, _ description: String, code: String = "badRequest") {
    self.status = status
    self.description = description
    self.code = code
  }

  /// A terminal whose position is in history HQ lost when it restored its ledger from a backup.
  public static func restored(_ mark: LedgerVerifier.RestoreMark, terminalSeq: Int64) -> HQRequestError {
    var error = HQRequestError(
      .conflict,
      "HQ's ledger was restored from a backup ending at seq \(mark.point); this terminal's position (seq "
        + "\(terminalSeq)) is in the history HQ lost: it goes back to its last sync at or before seq \(mark.point) "
        + "and sends again what it recorded since",
      code: "restored")
    error.restore = mark
    return error
  }

  public func response(from request: Request, context: some RequestContext) throws -> Response {
    var object: [String: Any] = ["error": description, "code": code]
    if let restore { object["restore"] = ["point": restore.point, "seq": restore.seq] }
    let body = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
    var headers: HTTPFields = [.contentType: "application/json"]
    if let retryAfter { headers[.retryAfter] = "\(retryAfter)" }
    return Response(
      status: status, headers: headers,
      body: .init(byteBuffer: ByteBuffer(bytes: body + [0x0A])))
  }
}

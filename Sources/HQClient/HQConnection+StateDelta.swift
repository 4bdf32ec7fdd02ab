import AsyncHTTPClient
import Foundation
import LedgerFormat
import LocalFiles
import NIOHTTP1
import SyncProtocol
import SystemPackage

extension HQConnection {
  /// HQ's state delta after epoch `since` (`GET /v1/state`), streamed to `scratch`: the epoch in it
  /// is HQ-signed, and the terminal believes none of it until its states give that epoch's digest.
  ///
  /// Resumable: a download cut midway (a dropped link, a retry, the next sync) asks for the rest
  /// of the same bytes (`Range`, `If-Range` with HQ's entity tag, kept beside the file in
  /// `scratch.etag` with the request); HQ sends them while its epoch is the one the download began
  /// on, else the whole delta afresh.
  public func stateDelta(since: Int64, programChecksum: String?, terminal: String, key: LedgerKey, scratch: String)
    async throws -> String
  {
    let path = "/v1/state?since=\(since)" + (programChecksum.map { "&program=\($0)" } ?? "")
    let labelPath = scratch + ".etag"
    var etag: String?
    if let label = try? String(contentsOfFile: labelPath, encoding: .utf8), label.hasPrefix(path + "\n") {
      etag = String(label.dropFirst(path.count + 1))
    } else {
      try? FileManager.default.removeItem(atPath: scratch)
      try? FileManager.default.removeItem(atPath: labelPath)
    }
    try await intoScratch(scratch, for: "the state delta") { file in
      try await fillStateDelta(file, path: path, etag: &etag, label: labelPath, terminal: terminal, key: key)
    }
    return scratch
  }

  /// Downloads the delta into `file`, resuming after what it holds when `etag` names the same
  /// bytes, again after a cut as the retry policy allows.
  func fillStateDelta(
    _ file: SystemPackage.FileDescriptor, path: String, etag: inout String?, label: String, terminal: String,
    key: LedgerKey
  ) async throws {
    var attempt = 1
    while true {
      var have = try file.size()
      do {
        let resume = etag.map { have > 0 ? [("Range", "bytes=\(have)-"), ("If-Range", $0)] : [] } ?? []
        let request = try signed("GET", path, body: Data(), terminal: terminal, key: key, extra: resume)
        let response = try await client.execute(request, timeout: .hours(1))
        try refuseRedirect(response, "GET", path)
        switch response.status {
        case .partialContent: _ = try file.seek(offset: Int64(have), from: .start)
        case .ok:
          try file.truncate(to: 0)
          _ = try file.seek(offset: 0, from: .start)
          have = 0
        default:
          let data = Data(buffer: try await response.body.collect(upTo: 1 << 20))
          if let restored = Self.restored(response.status, data) { throw restored }
          throw refusal(response.status, data)
        }
        if let tag = response.headers.first(name: "ETag"), tag != etag {
          etag = tag
          try? (path + "\n" + tag).write(toFile: label, atomically: true, encoding: .utf8)
        }
        for try await buffer in response.body {
          try file.write(all: buffer.readableBytesView)
          have += buffer.readableBytes
          attempt = 1  // progress: a later cut starts its back-off afresh
        }
        return
      } catch {
        try await waitToResume(after: error, attempt: &attempt, what: "state delta at \(have) bytes") {
          [attempt, retry] in
          HQClientError.gaveUp(
            method: "GET", path: path, attempts: attempt, last: $0, mentionAttempts: retry.maxAttempts > 1)
        }
      }
    }
  }
}

extension HQConnection {
  /// A card looked up on demand (`GET /v1/account`): HQ's signed answer, checked by the caller
  /// against the key it pinned (`AccountLookup.checked`).
  public func lookUp(card: String, basis: Int64, terminal: String, key: LedgerKey) async throws -> AccountLookup {
    let query = card.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
    let data = try await send(
      "GET", "/v1/account?card=\(query)&basis=\(basis)", body: Data(), terminal: terminal, key: key)
    return try decode(AccountLookup.self, data, what: "HQ's answer to the look-up")
  }
}

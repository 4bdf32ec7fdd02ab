import Foundation
import HQBackOffice
import LedgerFormat
import NIOSSL

/// A header the operator adds to every webhook request (`--header 'Authorization: Bearer …'`),
/// for an endpoint that wants a token. The headers the notifier sets itself cannot be replaced.
public struct WebhookHeader: Hashable, Sendable {
  public var name: String
  public var value: String

  /// The headers the notifier owns.
  static let reserved: Set<String> = [
    "content-type", "content-length", "host", "idempotency-key", WebhookSignature.header.lowercased(),
    "transfer-encoding", "connection",
  ]

  /// Parses `Name: value`.
  public init(parsing text: String) throws(LedgerError) {
    guard let colon = text.firstIndex(of: ":") else {
      throw LedgerError(line: 0, "--header \"\(text)\" has no colon; write it as 'Name: value'")
    }
    name = text[..<colon].trimmingCharacters(in: .whitespaces)
    value = text[text.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    let token = CharacterSet(charactersIn: "!#$%&'*+-.^_`|~0123456789")
      .union(CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    guard !name.isEmpty, name.unicodeScalars.allSatisfy(token.contains) else {
      throw LedgerError(line: 0, "--header \"\(text)\": \"\(name)\" is not a header name; write it as 'Name: value'")
    }
    guard !value.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) else {
      throw LedgerError(line: 0, "--header \(name): the value holds a control character; give it on one line")
    }
    guard !Self.reserved.contains(name.lowercased()) else {
      throw LedgerError(line: 0, "--header \(name): the notifier sets that header itself; leave it out")
    }
  }
}

extension TLSConfiguration {
  /// A client configuration trusting the CA certificates in `caFile` (a PEM file), or the system's
  /// when nil.
  public static func webhookClient(caFile: String?) throws(LedgerError) -> TLSConfiguration {
    var tls = TLSConfiguration.makeClientConfiguration()
    guard let caFile else { return tls }
    let certificates = try? NIOSSLCertificate.fromPEMFile(caFile)
    guard let certificates, !certificates.isEmpty else {
      throw LedgerError(
        line: 0,
        "--ca-file \(caFile) is not a readable PEM file of certificates (give the CA's certificate, not its key)")
    }
    tls.trustRoots = .certificates(certificates)
    return tls
  }
}

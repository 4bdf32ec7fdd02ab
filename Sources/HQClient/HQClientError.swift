import AsyncHTTPClient
import Foundation
import NIOCore
import NIOPosix
import NIOSSL

/// Why a terminal's request to HQ's service failed without an answer from HQ (the network, TLS),
/// or failed on every attempt: one line an operator can act on (naming the option that fixes it,
/// no TLS library dump), and whether another attempt may help. The sync switches on the case,
/// never on the words.
public enum HQClientError: Error, CustomStringConvertible, Sendable {
  /// HQ's TLS certificate is not signed by a CA this terminal trusts.
  case untrustedCertificate(url: String)
  /// HQ's TLS certificate names other hosts than the one in `--hq`.
  case certificateForAnotherHost(url: String)
  /// The TLS handshake failed for another reason (not a TLS service there?).
  case tlsHandshakeFailed(url: String)
  /// Nothing listens at the address.
  case connectionRefused(url: String)
  /// HQ closed the connection before answering.
  case connectionClosed(url: String)
  /// HQ did not answer within the timeout (`--hq-timeout`; `run`'s `--look-up-timeout`; seconds).
  case noAnswer(url: String, seconds: Int64)
  /// Any other failure of the transport, in the library's words.
  case transport(url: String, detail: String)
  /// Every attempt at a request failed (retryable each time); `last` says why the last did.
  /// `mentionAttempts`: the line names `--hq-attempts`.
  case gaveUp(method: String, path: String, attempts: Int, last: any Error, mentionAttempts: Bool)
  /// A download stopped at `at` of `of` bytes (what was received is kept: the next sync resumes).
  case downloadStopped(url: String, at: Int, of: Int, attempts: Int, last: any Error)

  /// Whether the same request may pass on another attempt.
  public var isRetryable: Bool {
    switch self {
    case .connectionClosed, .noAnswer, .transport: true
    case .untrustedCertificate, .certificateForAnotherHost, .tlsHandshakeFailed, .connectionRefused, .gaveUp,
      .downloadStopped:
      false
    }
  }

  public var description: String {
    switch self {
    case .untrustedCertificate(let url):
      "HQ at \(url) has a TLS certificate this terminal does not trust (give the CA that signed it with --hq-ca)"
    case .certificateForAnotherHost(let url):
      "HQ at \(url) has a TLS certificate for another host name (give --hq the name or IP its subjectAltName lists, "
        + "or --hq-ca the CA of a certificate that names this one)"
    case .tlsHandshakeFailed(let url):
      "the TLS handshake with HQ at \(url) failed (is it serving TLS there? check --hq and --hq-ca)"
    case .connectionRefused(let url):
      "HQ at \(url) refused the connection (is loyalty-hq serve running there? check --hq)"
    case .connectionClosed(let url):
      "HQ at \(url) closed the connection"
        + "\(url.hasPrefix("http://") ? " (a TLS service addressed with http://? check --hq)" : "")"
    case .noAnswer(let url, let seconds):
      "HQ at \(url) did not answer within \(seconds) s (--hq-timeout; a counter's look-up: --look-up-timeout)"
    case .transport(let url, let detail):
      "HQ at \(url): \(detail)"
    case .gaveUp(let method, let path, let attempts, let last, let mentionAttempts):
      "\(method) \(path) failed after \(attempts) attempt\(attempts == 1 ? "" : "s"): \(last)"
        + (mentionAttempts ? " (more attempts: --hq-attempts)" : "")
    case .downloadStopped(let url, let at, let total, let attempts, let last):
      "the download from \(url) stopped at \(at) of \(total) bytes (\(attempts) attempt\(attempts == 1 ? "" : "s")): "
        + "\(last); run the sync again to resume"
    }
  }

  /// A failure of the HTTP client, NIO or TLS under a request to `url`, by its type.
  static func classify(_ error: any Error, url: String, timeout: TimeAmount) -> HQClientError {
    switch error {
    case let error as HQClientError:
      return error
    case let error as HTTPClientError:
      if error == .remoteConnectionClosed { return .connectionClosed(url: url) }
      if [HTTPClientError.connectTimeout, .deadlineExceeded, .readTimeout].contains(error) {
        return .noAnswer(url: url, seconds: timeout.nanoseconds / 1_000_000_000)
      }
    case let error as NIOSSLExtraError where error == .failedToValidateHostname:
      return .certificateForAnotherHost(url: url)
    case let error as NIOSSLError:
      switch error {
      case .unableToValidateCertificate, .noCertificateToValidate:
        return .certificateForAnotherHost(url: url)
      case .handshakeFailed(let failure) where failure.isCertificateVerification:
        return .untrustedCertificate(url: url)
      default:
        return .tlsHandshakeFailed(url: url)
      }
    case is NIOSSLExtraError, is BoringSSLError:
      return .tlsHandshakeFailed(url: url)
    case let error as IOError where error.errnoCode == ECONNREFUSED:
      return .connectionRefused(url: url)
    case let error as NIOConnectionError
    where !error.connectionErrors.isEmpty
      && error.connectionErrors.allSatisfy({ ($0.error as? IOError)?.errnoCode == ECONNREFUSED }):
      return .connectionRefused(url: url)
    case ChannelError.connectTimeout:
      return .noAnswer(url: url, seconds: timeout.nanoseconds / 1_000_000_000)
    default:
      break
    }
    return .transport(url: url, detail: String(describing: error))
  }
}

extension BoringSSLError {
  /// BoringSSL refused the peer's certificate chain (`SSL_R_CERTIFICATE_VERIFY_FAILED`). NIOSSL
  /// gives BoringSSL's error queue only as text: this is the one place that reads it.
  var isCertificateVerification: Bool {
    switch self {
    case .sslError(let stack), .unknownError(let stack):
      stack.contains { "\($0)".contains("CERTIFICATE_VERIFY_FAILED") }
    default: false
    }
  }
}

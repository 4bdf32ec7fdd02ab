import Foundation
import LoyaltyCore
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// A terminal's sync against HQ addresses that fail at the network: each failure is one plain
/// line naming the address and the option that fixes it, a refused connection fails at once, and
/// each retry says so on stderr; `hq serve` on an address in use says so.
@Suite("Network errors in words")
struct HQNetworkErrorTests {
  /// A TCP socket on 127.0.0.1 at a free port, listening (it never accepts: the kernel completes
  /// connections, nobody answers) unless `listening` is false; its descriptor and port.
  static func loopbackSocket(listening: Bool = true) throws -> (fd: Int32, port: Int) {
    #if canImport(Glibc)
      let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    #else
      let fd = socket(AF_INET, SOCK_STREAM, 0)
    #endif
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
        bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
      }
    }
    guard fd >= 0, bound, !listening || listen(fd, 8) == 0 else { throw ChildProcessError("no loopback socket") }
    return (fd, Int(UInt16(bigEndian: address.sin_port)))
  }

  /// The stderr lines of a run but the sync's progress ("sync: read checkpoint…"): its retries
  /// and its failure.
  static func lines(_ text: String) -> [Substring] {
    text.split(separator: "\n").filter { !$0.isEmpty && (!$0.hasPrefix("sync: ") || $0.hasPrefix("sync: attempt")) }
  }

  /// Nothing listens on the port: one line naming the address and --hq, at once (no 10 s wait,
  /// no retries: a refused connection is not a slow one).
  @Test func aRefusedConnectionIsOneLineAtOnce() throws {
    let f = try ChainFixture(terminals: 1)
    let closed = try Self.loopbackSocket(listening: false)
    close(closed.fd)
    let url = "http://127.0.0.1:\(closed.port)"
    let started = ContinuousClock.now
    let run = try f.syncChild("T01", url, at: ChainFixture.start)
    let took = ContinuousClock.now - started
    #expect(run.status == 1, "a failed sync")
    #expect(
      run.errors.contains("HQ at \(url) refused the connection (is loyalty-hq serve running there? check --hq)"),
      "\(run.errors)")
    #expect(Self.lines(run.errors).count == 1, "\(run.errors)")
    #expect(took < .seconds(5), "a refused connection took \(took)")
  }

  /// A socket that takes the connection and never answers: each retry is a line on stderr
  /// (attempt N of M, why, the wait), and the failure names the address and the timeout.
  @Test func aSilentServiceTimesOutWithARetryLineEach() throws {
    let f = try ChainFixture(terminals: 1)
    let silent = try Self.loopbackSocket()
    defer { close(silent.fd) }
    let url = "http://127.0.0.1:\(silent.port)"
    let run = try runToCompletion(
      BuiltProducts.loyaltyTerminal,
      f.hqSyncArguments("T01", url, at: ChainFixture.start) + ["--hq-timeout", "1", "--hq-attempts", "2"])
    #expect(run.status != 0)
    let lines = Self.lines(run.errors)
    #expect(lines.count == 2, "\(run.errors)")
    #expect(lines.last?.contains("failed after 2 attempts") == true, "\(run.errors)")
    #expect(
      lines.first?.contains("attempt 1 of 2") == true && lines.first?.contains("next in 0.5 s") == true,
      "\(run.errors)")
    #expect(lines.allSatisfy { $0.contains("HQ at \(url) did not answer within 1 s (--hq-timeout") }, "\(run.errors)")
  }

  /// HQ over TLS with a private CA: without --hq-ca, and under a host name its certificate does
  /// not list, one plain line naming --hq-ca (no TLS library dump, no source path).
  @Test func tlsFailuresAreOneLineNamingHQCA() async throws {
    let f = try ChainFixture(terminals: 1)
    let pki = try makePrivateCA(in: f.directory)
    let hq = try await HQServiceProcess(
      ledger: f.ledger.path, hqKey: f.directory.appendingPathComponent("hq.key").path,
      extra: ["--tls-cert", pki.certificate, "--tls-key", pki.key])
    defer { hq.stop() }
    #expect(hq.url.hasPrefix("https://127.0.0.1:"))
    let untrusted = try f.syncChild("T01", hq.url, at: ChainFixture.start)
    #expect(untrusted.status != 0)
    #expect(
      untrusted.errors.contains("does not trust (give the CA that signed it with --hq-ca)"), "\(untrusted.errors)")
    // A second service whose certificate (same CA) names another host.
    let other = try runToCompletion(
      "/bin/sh",
      [
        "-c",
        """
        set -e; cd '\(f.directory.path)'
        openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout other.key -out other.csr \
          -subj '/CN=elsewhere.example' 2>/dev/null
        printf 'subjectAltName=DNS:elsewhere.example\\n' > other.ext
        openssl x509 -req -in other.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out other.crt -days 2 \
          -extfile other.ext 2>/dev/null
        """,
      ])
    #expect(other.status == 0, "\(other.errors)")
    let g = try ChainFixture(terminals: 1)
    let elsewhere = try await HQServiceProcess(
      ledger: g.ledger.path, hqKey: g.directory.appendingPathComponent("hq.key").path,
      extra: [
        "--tls-cert", f.directory.appendingPathComponent("other.crt").path, "--tls-key",
        f.directory.appendingPathComponent("other.key").path,
      ])
    defer { elsewhere.stop() }
    let wrongHost = try runToCompletion(
      BuiltProducts.loyaltyTerminal,
      f.hqSyncArguments("T01", elsewhere.url, at: ChainFixture.start) + ["--hq-ca", pki.ca])
    #expect(wrongHost.status != 0)
    #expect(
      wrongHost.errors.contains("for another host name") && wrongHost.errors.contains("--hq-ca"), "\(wrongHost.errors)")
    let plain = hq.url.replacingOccurrences(of: "https://", with: "http://")
    let notTLS = try runToCompletion(
      BuiltProducts.loyaltyTerminal,
      f.hqSyncArguments("T01", plain, at: ChainFixture.start) + ["--hq-attempts", "1"])
    #expect(notTLS.status != 0 && notTLS.errors.contains("check --hq"), "\(notTLS.errors)")
    for run in [untrusted, wrongHost, notTLS] {
      #expect(Self.lines(run.errors).count == 1, "\(run.errors)")
      #expect(!run.errors.contains("BoringSSL") && !run.errors.contains(".swift"), "\(run.errors)")
    }
    let trusted = try runToCompletion(
      BuiltProducts.loyaltyTerminal,
      f.hqSyncArguments("T01", hq.url, at: ChainFixture.start) + ["--hq-ca", pki.ca])
    #expect(trusted.status == 0, "\(trusted.errors)")
  }

  /// `hq serve` on an address another socket holds: one line naming --listen, exit 1.
  @Test func anAddressInUseNamesListen() throws {
    let f = try ChainFixture(terminals: 1)
    let taken = try Self.loopbackSocket()
    defer { close(taken.fd) }
    let run = try runToCompletion(
      BuiltProducts.loyaltyHQ,
      [
        "serve", "--ledger", f.ledger.path, "--hq-key", f.directory.appendingPathComponent("hq.key").path,
        "--listen", "127.0.0.1:\(taken.port)", "--log-level", "error",
      ])
    #expect(run.status == 1)
    #expect(
      run.errors.contains(
        "--listen 127.0.0.1:\(taken.port) is in use (another loyalty-hq serve? pick another port with --listen)"),
      "\(run.errors)")
  }
}

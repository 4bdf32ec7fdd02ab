import Foundation

/// A private CA and a certificate it signed for 127.0.0.1, in `directory`: the CA's PEM path
/// and the server's certificate and key.
public func makePrivateCA(in directory: URL) throws -> (ca: String, certificate: String, key: String) {
  let d = directory.path
  let script = """
    set -e
    cd '\(d)'
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key -out ca.crt \
      -days 2 -subj '/CN=Test webhook CA' 2>/dev/null
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout endpoint.key -out endpoint.csr \
      -subj '/CN=127.0.0.1' 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1\\n' > endpoint.ext
    openssl x509 -req -in endpoint.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out endpoint.crt -days 2 \
      -extfile endpoint.ext 2>/dev/null
    """
  let run = try runToCompletion("/bin/sh", ["-c", script])
  guard run.status == 0 else { throw ChildProcessError("openssl failed: \(run.errors)") }
  return ("\(d)/ca.crt", "\(d)/endpoint.crt", "\(d)/endpoint.key")
}

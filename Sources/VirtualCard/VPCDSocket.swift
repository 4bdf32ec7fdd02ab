import LocalFiles
#if canImport(Glibc)
  import Glibc
#endif

/// A blocking TCP connection to vpcd, with the socket options that keep it fast.
///
/// vpcd writes a frame's length and body in two writes; without TCP_NODELAY on our side and
/// TCP_QUICKACK re-armed before each read, every exchange waits for a delayed ACK (~44 ms).
struct VPCDSocket: ~Copyable {
  let fd: Int32

  /// Connects to `host:port` (IPv4 literal).
  init(host: String, port: UInt16) throws(VirtualCardError) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw VirtualCardError("socket(): \(String(cString: strerror(errno)))") }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
      close(fd)
      throw VirtualCardError("\(host) is not an IPv4 address")
    }
    let rc = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
      }
    }
    guard rc == 0 else {
      let reason = String(cString: strerror(errno))
      close(fd)
      throw VirtualCardError("cannot reach vpcd at \(host):\(port): \(reason) (is pcscd running with vpcd?)")
    }
    var one: Int32 = 1
    setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    self.fd = fd
  }

  deinit { close(fd) }

  /// Re-arms TCP_QUICKACK (Linux clears it after use), so our ACK of vpcd's next write is immediate.
  func armQuickAck() {
    var one: Int32 = 1
    setsockopt(fd, Int32(IPPROTO_TCP), Int32(TCP_QUICKACK), &one, socklen_t(MemoryLayout<Int32>.size))
  }

  /// Reads exactly `count` bytes; `nil` when the peer closed or the socket was shut down.
  func read(exactly count: Int) -> [UInt8]? {
    var out = [UInt8](repeating: 0, count: count)
    var got = 0
    while got < count {
      let n = SystemCall.retrying { out.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + got, count - got, 0) } }
      guard n > 0 else { return nil }
      got += n
    }
    return out
  }

  /// Sends one vpcd frame (2-byte big-endian length, then the body) in a single write.
  func writeFrame(_ body: [UInt8]) -> Bool {
    precondition(!body.isEmpty && body.count <= 0xFFFF, "vpcd frames are 1...65535 bytes")
    let frame = [UInt8(body.count >> 8), UInt8(body.count & 0xFF)] + body
    var sent = 0
    while sent < frame.count {
      let n = SystemCall.retrying {
        frame.withUnsafeBytes { send(fd, $0.baseAddress! + sent, frame.count - sent, Int32(MSG_NOSIGNAL)) }
      }
      guard n > 0 else { return false }
      sent += n
    }
    return true
  }

  /// Unblocks a pending read from another thread.
  func shutdownBoth() { shutdown(fd, Int32(SHUT_RDWR)) }
}

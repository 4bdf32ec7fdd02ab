import Dispatch

/// Runs blocking libpcsclite calls on a dedicated serial queue, off Swift's cooperative pool.
///
/// A mute card can hold SCardTransmit for as long as the reader driver allows; it must never hold
/// one of the few threads every task in the terminal shares.
struct BlockingCallQueue: Sendable {
  let queue: DispatchQueue

  init(label: String) {
    queue = DispatchQueue(label: label, qos: .userInitiated)
  }

  /// Runs `body` on the queue and returns its result to the caller.
  func run<T: Sendable, E: Error>(_ body: @escaping @Sendable () throws(E) -> T) async throws(E) -> T {
    let result: Result<T, E> = await withUnsafeContinuation { continuation in
      queue.async {
        continuation.resume(returning: Result { () throws(E) -> T in try body() })
      }
    }
    return try result.get()
  }
}

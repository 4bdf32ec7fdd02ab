import Dispatch

/// Runs blocking calls (libpcsclite, file system calls: `flock`, `pread`, `fsync`) on a dedicated
/// serial queue, off Swift's cooperative pool.
///
/// A mute card can hold SCardTransmit for as long as the reader driver allows, a ledger's lock
/// for as long as another writer holds it: neither may hold one of the few threads every task
/// shares.
public struct BlockingCallQueue: Sendable {
  public let queue: DispatchQueue

  public init(label: String) {
    queue = DispatchQueue(label: label, qos: .userInitiated)
  }

  /// Runs `body` on the queue and returns its result to the caller.
  public func run<T: Sendable, E: Error>(_ body: @escaping @Sendable () throws(E) -> T) async throws(E) -> T {
    let result: Result<T, E> = await withUnsafeContinuation { continuation in
      queue.async {
        continuation.resume(returning: Result { () throws(E) -> T in try body() })
      }
    }
    return try result.get()
  }
}

/// An actor's executor on a dedicated serial dispatch queue: every method of an actor that
/// declares it (`nonisolated var unownedExecutor`) runs there, off the cooperative pool — for an
/// actor whose work is blocking system calls (HQ's ledger: `flock`, audits, `fsync`).
public final class DispatchQueueExecutor: SerialExecutor, Sendable {
  let queue: DispatchQueue

  public init(label: String) { queue = DispatchQueue(label: label, qos: .userInitiated) }

  public func enqueue(_ job: consuming ExecutorJob) {
    let job = UnownedJob(job)
    let executor = asUnownedSerialExecutor()
    queue.async { job.runSynchronously(on: executor) }
  }

  public func asUnownedSerialExecutor() -> UnownedSerialExecutor { UnownedSerialExecutor(ordinary: self) }
}

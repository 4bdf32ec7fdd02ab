import Glibc

/// Serialises what libpcsclite does to its table of card handles.
///
/// pcsc-lite 1.9.9's client library keeps each context's card handles in a list. SCardConnect
/// appends to it and SCardDisconnect deletes from it holding only that context's mutex, while
/// every call on a handle (SCardTransmit, SCardStatus, SCardReconnect, SCardControl,
/// SCardDisconnect) first walks the lists of *all* contexts holding only the library's global
/// mutex. Two threads with their own contexts — two readers, or a session and a reader command —
/// therefore race, and a walk can follow a node being freed: the tap soak on vpcd's two slots
/// crashed with SIGSEGV in libpcsclite's list_seek. So every handle call goes through here:
/// changes of the lists exclusive, walks shared (two readers' exchanges still run side by side).
enum PCSCHandleTable {
  private final class Lock: @unchecked Sendable {
    let rwlock: UnsafeMutablePointer<pthread_rwlock_t>
    init() {
      rwlock = .allocate(capacity: 1)
      rwlock.initialize(to: pthread_rwlock_t())
      pthread_rwlock_init(rwlock, nil)
    }
  }

  private static let lock = Lock()

  /// Runs a call that adds or removes a handle (SCardConnect, SCardDisconnect) alone.
  static func changing<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
    pthread_rwlock_wrlock(lock.rwlock)
    defer { pthread_rwlock_unlock(lock.rwlock) }
    return try body()
  }

  /// Runs a call that looks a handle up (SCardTransmit, SCardStatus, SCardReconnect,
  /// SCardControl) while no handle is being added or removed.
  static func reading<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
    pthread_rwlock_rdlock(lock.rwlock)
    defer { pthread_rwlock_unlock(lock.rwlock) }
    return try body()
  }
}

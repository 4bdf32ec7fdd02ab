import Foundation
import Synchronization

/// A thread of its own for one card session: it runs the session's blocking libpcsclite calls,
/// and it is a `TaskExecutor`, so a task that prefers it runs there and calls libpcsclite inline,
/// with no hop per APDU, while Swift's cooperative pool is never blocked by a card.
final class SessionThread: TaskExecutor, @unchecked Sendable {
  private enum Work {
    case job(UnownedJob)
    case block(@Sendable () -> Void)
  }

  private struct State {
    var work: [Work] = []
    var stopping = false
    var finished = false
  }

  private let state = Mutex(State())
  private let wake = NSCondition()
  private let threadID = Mutex<pthread_t?>(nil)

  init(name: String) {
    let thread = Thread { [self] in loop() }
    thread.name = name
    thread.start()
  }

  /// Whether the caller is running on this thread.
  var isCurrent: Bool {
    guard let id = threadID.withLock({ $0 }) else { return false }
    return pthread_equal(id, pthread_self()) != 0
  }

  func enqueue(_ job: UnownedJob) {
    submit(.job(job))
  }

  /// Runs `body` on this thread (inline when already on it).
  func run<T: Sendable, E: Error>(_ body: @escaping @Sendable () throws(E) -> T) async throws(E) -> T {
    if isCurrent { return try body() }
    let result: Result<T, E> = await withUnsafeContinuation { continuation in
      submit(.block { continuation.resume(returning: Result { () throws(E) -> T in try body() }) })
    }
    return try result.get()
  }

  /// Lets the thread end once its queue is empty; later work runs on a global queue.
  func stop() {
    state.withLock { $0.stopping = true }
    wake.lock()
    wake.broadcast()
    wake.unlock()
  }

  private func submit(_ work: Work) {
    let accepted = state.withLock { s -> Bool in
      guard !s.finished else { return false }
      s.work.append(work)
      return true
    }
    guard accepted else {
      // The thread has ended (session closed): run stragglers elsewhere rather than lose them.
      DispatchQueue.global().async { self.perform(work) }
      return
    }
    wake.lock()
    wake.signal()
    wake.unlock()
  }

  private func perform(_ work: Work) {
    switch work {
    case .job(let job): job.runSynchronously(on: asUnownedTaskExecutor())
    case .block(let body): body()
    }
  }

  private func loop() {
    threadID.withLock { $0 = pthread_self() }
    while true {
      wake.lock()
      var batch: [Work] = []
      while true {
        let (taken, stop) = state.withLock { s -> ([Work], Bool) in
          let w = s.work
          s.work.removeAll(keepingCapacity: true)
          if w.isEmpty && s.stopping { s.finished = true }
          return (w, s.finished)
        }
        if stop {
          wake.unlock()
          return
        }
        if !taken.isEmpty {
          batch = taken
          break
        }
        wake.wait()
      }
      wake.unlock()
      for work in batch { perform(work) }
    }
  }
}

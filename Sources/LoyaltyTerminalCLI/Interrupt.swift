import Dispatch
import Foundation

/// Cancels a task on SIGINT or SIGTERM, so Ctrl-C ends a command cleanly (readers released,
/// virtual cards removed) instead of killing it mid-call.
final class Interrupt {
  private let sources: [any DispatchSourceSignal]

  init(cancelling cancel: @escaping @Sendable () -> Void) {
    sources = [SIGINT, SIGTERM].map { sig in
      signal(sig, SIG_IGN)
      let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
      source.setEventHandler { cancel() }
      source.resume()
      return source
    }
  }

  deinit {
    for s in sources { s.cancel() }
  }
}

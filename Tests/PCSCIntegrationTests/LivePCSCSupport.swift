import CardEmulation
import CardIdentification
import CardReader
import Foundation
import Logging
import PCSCCardReader
import Testing
import VirtualCard

/// Shared pieces of the live tests: reader names, a logger, bounded waits on event streams.
enum Live {
  static let slot0 = "Virtual PCD 00 00"
  static let slot1 = "Virtual PCD 00 01"

  static let logger: Logger = {
    var l = Logger(label: "live-test") { StreamLogHandler.standardError(label: $0) }
    l.logLevel = .error
    return l
  }()

  static let identifier = CardIdentifier(profiles: CardProfiles.builtIn())

  static func system() -> PCSCCardReaderSystem {
    PCSCCardReaderSystem(
      configuration: .init(
        statusTimeout: .seconds(2), initialBackoff: .milliseconds(50), maxBackoff: .milliseconds(500)),
      logger: logger)
  }

  static func card(_ card: any EmulatedCard, slot: Int = 0, pullOnCommand: Int? = nil) -> VirtualCard {
    VirtualCard(card: card, port: VirtualCard.port(forSlot: slot), pullOnCommand: pullOnCommand, logger: logger)
  }

}

/// Records a stream's elements as they arrive and hands them out in order, with a deadline.
///
/// The deadline guards against a hang; it is not a synchronisation: waiters resume the moment
/// the element they wait for arrives.
actor EventRecorder<Element: Sendable> {
  private var buffer: [Element] = []
  private var waiter:
    (id: Int, predicate: @Sendable (Element) -> Bool, continuation: CheckedContinuation<Element?, Never>)?
  private var nextWaiterID = 0
  private var consumer: Task<Void, Never>?

  init(_ stream: AsyncStream<Element>) {
    let box = WeakBox<EventRecorder>()
    consumer = Task {
      for await element in stream { await box.value?.receive(element) }
    }
    box.value = self
  }

  /// Stops consuming (ends the underlying stream).
  func stop() { consumer?.cancel() }

  private func receive(_ element: Element) {
    if let w = waiter, w.predicate(element) {
      waiter = nil
      w.continuation.resume(returning: element)
    } else if waiter == nil {
      buffer.append(element)
    }
  }

  /// Consumes elements up to and including the first that matches; throws after `timeout`.
  func next(
    _ what: String, within timeout: Duration = .seconds(10), where predicate: @escaping @Sendable (Element) -> Bool
  ) async throws -> Element {
    if let i = buffer.firstIndex(where: predicate) {
      let e = buffer[i]
      buffer.removeFirst(i + 1)
      return e
    }
    buffer.removeAll()
    nextWaiterID += 1
    let id = nextWaiterID
    let timer = Task { [weak self] in
      guard (try? await Task.sleep(for: timeout)) != nil else { return }
      await self?.expire(id)
    }
    defer { timer.cancel() }
    let result = await withCheckedContinuation { waiter = (id, predicate, $0) }
    guard let result else { throw DaemonError("timed out after \(timeout) waiting for \(what)") }
    return result
  }

  private func expire(_ id: Int) {
    guard let w = waiter, w.id == id else { return }
    waiter = nil
    w.continuation.resume(returning: nil)
  }
}

final class WeakBox<T: AnyObject>: @unchecked Sendable {
  weak var value: T?
}

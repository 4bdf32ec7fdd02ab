import CardReader

/// Whether the counter has a reader to read cards with, followed from the reader events: the
/// service lost or every reader unplugged is offline; a reader seen again is online.
public struct ReaderPresence: Sendable {
  public private(set) var readers: Set<String>
  public private(set) var serviceUp = true

  public init(readers: some Sequence<String>) { self.readers = Set(readers) }

  public var online: Bool { serviceUp && !readers.isEmpty }

  /// Follows `event`; the new availability when it changed.
  public mutating func update(_ event: ReaderEvent) -> Bool? {
    let before = online
    switch event {
    case .readerAdded(let r): readers.insert(r)
    case .readerRemoved(let r): readers.remove(r)
    case .serviceUnavailable: serviceUp = false
    case .serviceRestored: serviceUp = true
    case .cardInserted(let r, _), .cardUnresponsive(let r), .cardRemoved(let r): readers.insert(r)
    }
    return online == before ? nil : online
  }
}

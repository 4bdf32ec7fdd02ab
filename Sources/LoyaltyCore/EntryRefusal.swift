/// An entry refused, by id, with the reason in words: what HQ's answer lists, what a terminal's
/// cache keeps of its entries HQ refused, what the fold leaves out. One shape wherever a refusal
/// travels by id (HQ's admission keeps the entry itself beside its reason; the audit adds where).
public struct EntryRefusal: Codable, Hashable, Sendable {
  public var id: String
  public var reason: String

  public init(id: String, reason: String) {
    self.id = id
    self.reason = reason
  }
}

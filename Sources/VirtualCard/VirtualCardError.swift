/// Why a virtual card could not be presented on vpcd.
public struct VirtualCardError: Error, Hashable, Sendable, CustomStringConvertible {
  public var message: String
  public init(_ message: String) { self.message = message }
  public var description: String { message }
}

/// A region member's frame in a partial replica's state delta: 8 bytes (big-endian) of the UTC day
/// of the account's last entry in the region, then its canonical state.
public enum RegionFrame {
  /// The 8 bytes of `day`, before the state.
  public static func prefix(day: Int64) -> [UInt8] {
    (0..<8).map { UInt8(truncatingIfNeeded: UInt64(bitPattern: day) >> (56 - 8 * $0)) }
  }

  /// A frame's day and state, or nil when it is no longer than its day.
  public static func split(_ frame: [UInt8]) -> (day: Int64, state: ArraySlice<UInt8>)? {
    guard frame.count > 8 else { return nil }
    let day = frame[frame.startIndex..<frame.startIndex + 8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    return (Int64(bitPattern: day), frame[(frame.startIndex + 8)...])
  }
}

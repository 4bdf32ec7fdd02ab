import CPCSCLite

/// The one place a libpcsclite function is called and its LONG return code checked.
///
/// On Linux pcsc-lite's LONG imports as `Int` and its codes are 32-bit; anything other than
/// SCARD_S_SUCCESS becomes a typed `PCSCError`.
@inline(__always)
func pcscCall(_ body: () -> Int) throws(PCSCError) {
  let rv = body()
  if rv != 0 { throw PCSCError(rawValue: UInt32(truncatingIfNeeded: rv)) }
}

/// Protocol and state constants of pcsclite.h that Swift imports as plain macros.
enum PCSC {
  static let shareShared = UInt(SCARD_SHARE_SHARED)
  static let protocolT0 = UInt(SCARD_PROTOCOL_T0)
  static let protocolT1 = UInt(SCARD_PROTOCOL_T1)
  static let leaveCard = UInt(SCARD_LEAVE_CARD)
  static let scopeSystem = UInt(SCARD_SCOPE_SYSTEM)

  static let stateUnaware = UInt(SCARD_STATE_UNAWARE)
  static let stateIgnore = UInt(SCARD_STATE_IGNORE)
  static let stateChanged = UInt(SCARD_STATE_CHANGED)
  static let stateUnknown = UInt(SCARD_STATE_UNKNOWN)
  static let stateUnavailable = UInt(SCARD_STATE_UNAVAILABLE)
  static let stateEmpty = UInt(SCARD_STATE_EMPTY)
  static let statePresent = UInt(SCARD_STATE_PRESENT)
  static let stateMute = UInt(SCARD_STATE_MUTE)

  /// The pseudo-reader whose state changes when readers are added or removed.
  static let pnpNotification = "\\\\?PnP?\\Notification"
  /// Receive buffer large enough for an extended APDU response (MAX_BUFFER_SIZE_EXTENDED).
  static let maxResponseSize = 4 + 3 + (1 << 16) + 3 + 2
}

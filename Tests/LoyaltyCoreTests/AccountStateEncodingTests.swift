import Crypto
import Testing

@testable import LoyaltyCore

/// The canonical encoding of an account's state, and the lattice digest over a set of them.
@Suite("Account states: one canonical encoding, a digest updated in O(changes)")
struct AccountStateEncodingTests {
  static func sample(_ id: String = "acct-1") throws -> AccountState {
    var s = AccountState(id: id)
    let t = UTCInstant(parsing: "2026-11-02T10:00:00Z")!
    s.enrolledAt = t
    s.lastActivity = t.adding(days: 3)
    s.referrer = "acct-0"
    s.referralSettled = true
    s.lifetimeSpend = 12_345
    s.purchases = 3
    s.lots = try PointLots(
      lots: [
        .init(earnedAt: t, expiresAt: t.adding(days: 365), remaining: 120),
        .init(earnedAt: t.adding(days: 1), expiresAt: t.adding(days: 366), remaining: 7),
      ],
      deficit: 0)
    s.cards = ["6280000000000003", "6280000000000011"]
    s.blockedCards = ["6280000000000011"]
    s.cardKeys = ["6280000000000003": "04abcd"]
    s.receipts = [
      "R2": Receipt(
        account: id, at: t.seconds + 60, amount: 500, points: 5, refunded: 100, reversed: 1, pendingDays: 14),
      "R1": Receipt(account: id, at: t.seconds, amount: 11_845, points: 118, refunded: 0, reversed: 0),
    ]
    return s
  }

  @Test func aStateDecodesToItselfAndEncodesToTheSameBytes() throws {
    let s = try Self.sample()
    let bytes = AccountStateEncoding.encode(s)
    let back = try AccountStateEncoding.decode(bytes)
    #expect(back == s)
    #expect(AccountStateEncoding.encode(back) == bytes)
    #expect(AccountStateEncoding.encode(AccountState(id: "a")).count < 18)
  }

  @Test func anythingButTheCanonicalFormIsRefused() throws {
    let bytes = AccountStateEncoding.encode(try Self.sample())
    #expect(throws: RuleError.self) { try AccountStateEncoding.decode(bytes + [0]) }
    #expect(throws: RuleError.self) { try AccountStateEncoding.decode(bytes.dropLast()) }
    var version = bytes
    version[0] = 3
    #expect(throws: RuleError.self) { try AccountStateEncoding.decode(version) }
    // The id "a" written with a length of two bytes (0x81 0x00 is 1, not in its shortest form).
    #expect(throws: RuleError.self) { try AccountStateEncoding.decode([2, 0x81, 0x00, 0x61]) }
    // Cards out of order.
    var s = AccountState(id: "a")
    s.cards = ["B"]
    var unsorted = AccountStateEncoding.encode(s)
    let at = unsorted.lastIndex(of: UInt8(ascii: "B"))!
    unsorted.replaceSubrange(at...at, with: [UInt8(ascii: "B")])
    #expect(try AccountStateEncoding.decode(unsorted).cards == ["B"])
    var two = AccountState(id: "a")
    two.cards = ["A", "B"]
    var swapped = AccountStateEncoding.encode(two)
    let a = swapped.firstIndex(of: UInt8(ascii: "A"))!
    swapped[a] = UInt8(ascii: "B")
    swapped[a + 2] = UInt8(ascii: "A")
    #expect(throws: RuleError.self) { try AccountStateEncoding.decode(swapped) }
  }

  @Test func theDigestOfASetIsTheSameInAnyOrderAndMovesByChanges() throws {
    let states = try (0..<20).map { try Self.sample("acct-\($0)") }.map(AccountStateEncoding.encode)
    var forward = StateDigest()
    for s in states { forward.add(s) }
    var backward = StateDigest()
    for s in states.reversed() { backward.add(s) }
    #expect(forward == backward)
    // One account changes: out with the old state, in with the new one, as if built afresh.
    var changed = try Self.sample("acct-7")
    changed.lifetimeSpend += 1
    var moved = forward
    moved.remove(states[7])
    moved.add(AccountStateEncoding.encode(changed))
    var afresh = StateDigest()
    for (i, s) in states.enumerated() { afresh.add(i == 7 ? AccountStateEncoding.encode(changed) : s) }
    #expect(moved == afresh)
    #expect(moved != forward)
    #expect(moved.checksum != forward.checksum)
    #expect(StateDigest(bytes: moved.bytes) == moved)
    var empty = forward
    for s in states { empty.remove(s) }
    #expect(empty == StateDigest())
  }

  /// The expansion is AES-256-CTR from the block GCM's ciphertext starts at: the lanes of every
  /// digest already signed are unchanged (the first version sealed zeros under AES-GCM).
  @Test func theExpansionIsTheKeystreamAESGCMGaveBefore() throws {
    for element in [[UInt8](), Array("acct-1".utf8), AccountStateEncoding.encode(try Self.sample())] {
      let seed = StateDigest.seed(element)
      let sealed = try AES.GCM.seal(
        [UInt8](repeating: 0, count: StateDigest.byteCount), using: SymmetricKey(data: seed.bytes),
        nonce: AES.GCM.Nonce(data: [UInt8](repeating: 0, count: 12)))
      let lanes = StateDigest.expand(seed: seed)
      let bytes = lanes.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
      #expect(bytes == Array(sealed.ciphertext))
    }
  }

  /// A sync reads an old state's keys and balance without building it: the same as the state's.
  @Test func theKeysReadFromTheBytesAreTheStatesOwn() throws {
    var indebted = try Self.sample("acct-2")
    indebted.lots = try PointLots(lots: indebted.lots.lots, deficit: 200)
    for state in [AccountState(id: "acct-0"), try Self.sample(), indebted] {
      let keys = try AccountStateEncoding.keys(AccountStateEncoding.encode(state))
      #expect(keys == StateKeys(state))
    }
    #expect(try AccountStateEncoding.keys(AccountStateEncoding.encode(indebted)).balance == 127 - 200)
    #expect(StateKeys.none == StateKeys(AccountState(id: "acct-0")))
    #expect(throws: RuleError.self) { try AccountStateEncoding.keys([9]) }
    #expect(throws: RuleError.self) {
      try AccountStateEncoding.keys(AccountStateEncoding.encode(try Self.sample()).dropLast(20))
    }
  }

  /// A replica's row stores a state without the id its key holds, and gets the same bytes back.
  @Test func aStateDetachedFromItsIDIsAttachedByteForByte() throws {
    let id = Identities.accountID(enrolledWith: "6280001234567895")
    let long = String(repeating: "x", count: 300)  // a two-byte length
    for state in [AccountState(id: id), try Self.sample(id), try Self.sample(long)] {
      let canonical = AccountStateEncoding.encode(state)
      let stored = AccountStateEncoding.detached(canonical, id: state.id)
      #expect(stored.count == canonical.count - state.id.utf8.count - (state.id.utf8.count < 128 ? 1 : 2))
      #expect(stored[0] == AccountStateEncoding.version | AccountStateEncoding.detachedFlag)
      #expect(AccountStateEncoding.attached(stored, id: state.id) == canonical)
      #expect(throws: RuleError.self, "a detached encoding is not a canonical one") {
        try AccountStateEncoding.decode(stored)
      }
    }
    // Bytes that are not a state of that id stay whole, and read back as they are.
    let other = AccountStateEncoding.encode(try Self.sample("acct-2"))
    #expect(AccountStateEncoding.detached(other, id: "acct-3") == other)
    #expect(AccountStateEncoding.attached(other, id: "acct-3") == other)
    #expect(AccountStateEncoding.detached([9, 1, 2], id: "acct-3") == [9, 1, 2])
    #expect(AccountStateEncoding.detached([], id: "acct-3") == [])
  }
}

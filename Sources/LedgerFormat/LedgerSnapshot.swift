import Crypto
import Foundation
import LocalFiles
import LoyaltyCore

/// An HQ-signed picture of the ledger at a sealed position: accounts with their lots and cards,
/// receipts, the program, and the verifier's state there. A new terminal loads it and syncs only
/// the tail, instead of all history.
public struct LedgerSnapshot: Codable, Sendable {
  public static let format = "loyalty-snapshot/1"

  /// An account as the snapshot file writes it (the core's `AccountState`, without receipts:
  /// those are listed apart).
  public struct AccountRecord: Codable, Sendable {
    public var id: String
    public var enrolledAt: Int64
    public var referrer: String?
    public var referralSettled: Bool
    public var deficit: Int64
    /// [earnedAt, expiresAt, remaining] per open lot, oldest first.
    public var lots: [[Int64]]
    public var cards: [String]
    public var blockedCards: [String]
    /// The public keys of the cards that can sign, by card (absent when none can).
    public var cardKeys: [String: String]?

    init(_ a: LoyaltyCore.AccountState) {
      id = a.id
      enrolledAt = a.enrolledAt?.seconds ?? 0
      referrer = a.referrer
      referralSettled = a.referralSettled
      deficit = a.lots.deficit
      lots = a.lots.lots.map { [$0.earnedAt.seconds, $0.expiresAt.seconds, $0.remaining] }
      cards = a.cards.sorted()
      blockedCards = a.blockedCards.sorted()
      cardKeys = a.cardKeys.isEmpty ? nil : a.cardKeys
    }

    /// The account state it records, with its own `receipts`.
    public func state(receipts: [String: Receipt]) throws(LedgerError) -> LoyaltyCore.AccountState {
      var a = LoyaltyCore.AccountState(id: id)
      a.enrolledAt = UTCInstant(seconds: enrolledAt)
      a.referrer = referrer
      a.referralSettled = referralSettled
      a.cards = Set(cards)
      a.blockedCards = Set(blockedCards)
      a.cardKeys = cardKeys ?? [:]
      guard lots.allSatisfy({ $0.count == 3 }) else {
        throw LedgerError(line: 0, "snapshot account \(id): a lot is not [earned, expires, remaining]")
      }
      do {
        a.lots = try PointLots(
          lots: lots.map {
            .init(earnedAt: UTCInstant(seconds: $0[0]), expiresAt: UTCInstant(seconds: $0[1]), remaining: $0[2])
          },
          deficit: deficit)
      } catch {
        throw LedgerError(line: 0, "snapshot account \(id): \(error.message)")
      }
      a.receipts = receipts
      return a
    }
  }

  public var format = LedgerSnapshot.format
  public var ledger: LedgerVerifier.State
  public var program: String?
  public var accounts: [AccountRecord]
  public var receipts: [String: Receipt]
  /// Every account's whole state in its canonical encoding (`loyalty-state/1`, base64), sorted by
  /// account: what a terminal's replica starts from (the snapshot is HQ's epoch at its position).
  /// Absent from snapshots made before; `accounts` and `receipts` say the same in JSON.
  public var states: [String]?
  public var signature: String?

  /// Folds the verified ledger at `path` and signs the result with HQ's key.
  public static func make(path: String, hqKey: LedgerKey) throws(LedgerError) -> LedgerSnapshot {
    var fold = LedgerFold()
    let state = try LedgerVerifier.readVerified(
      path: path, each: { _ = fold.take($0) }, excluded: { fold.exclude($0) })
    return try make(fold: fold, state: state, hqKey: hqKey)
  }

  /// The snapshot of a fold at `state` (HQ's service keeps both in memory), signed with HQ's key.
  public static func make(fold: LedgerFold, state: LedgerVerifier.State, hqKey: LedgerKey) throws(LedgerError)
    -> LedgerSnapshot
  {
    guard state.hqKey == hqKey.publicKeyBase64 else {
      throw LedgerError(line: 1, "the key given is not the HQ key of this ledger")
    }
    var snapshot = LedgerSnapshot(
      ledger: state, program: fold.programJSON,
      accounts: fold.accounts.keys.sorted().map { AccountRecord(fold.accounts[$0]!) },
      receipts: fold.receipts,
      states: fold.accounts.keys.sorted().map { Data(AccountStateEncoding.encode(fold.accounts[$0]!)).base64EncodedString() })
    do { snapshot.signature = try hqKey.privateKey.signature(for: snapshot.signedBytes()).base64EncodedString() } catch
    {
      throw LedgerError(line: 0, "cannot sign the snapshot: \(error)")
    }
    return snapshot
  }

  /// The bytes HQ signs: the snapshot without its signature, keys sorted.
  func signedBytes() throws -> Data {
    var unsigned = self
    unsigned.signature = nil
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return try encoder.encode(unsigned)
  }

  /// Checks the snapshot is signed by the HQ key it names (a terminal over HQ's service also
  /// checks that key is the one it pinned, or the header it then downloads names it).
  public func checkSignature() throws(LedgerError) {
    guard format == Self.format else { throw LedgerError(line: 0, "not a \(Self.format) snapshot") }
    guard let hqKey = ledger.hqKey, let signature, let sig = Data(base64Encoded: signature),
      let pub = Data(base64Encoded: hqKey), let key = try? Curve25519.Signing.PublicKey(rawRepresentation: pub),
      let bytes = try? signedBytes(), key.isValidSignature(sig, for: bytes)
    else { throw LedgerError(line: 0, "the snapshot's HQ signature does not verify against this ledger's HQ key") }
  }

  /// The accounts the snapshot records, as the core's states (receipts included).
  public func accountStates() throws(LedgerError) -> [LoyaltyCore.AccountState] {
    var byAccount: [String: [String: Receipt]] = [:]
    if let states {
      return try states.map { text throws(LedgerError) in
        guard let bytes = Data(base64Encoded: text) else { throw LedgerError(line: 0, "a snapshot state is not base64") }
        do throws(RuleError) { return try AccountStateEncoding.decode(bytes) } catch {
          throw LedgerError(line: 0, "a snapshot state: \(error.message)")
        }
      }
    }
    for (id, receipt) in receipts { byAccount[receipt.account, default: [:]][id] = receipt }
    var states: [LoyaltyCore.AccountState] = []
    for account in accounts { states.append(try account.state(receipts: byAccount[account.id] ?? [:])) }
    return states
  }
}

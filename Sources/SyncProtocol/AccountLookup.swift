import Foundation
import LedgerFormat
import LoyaltyCore

/// HQ's answer to a counter looking a card up on demand (`GET /v1/account?card=&basis=`): the
/// card's account as the audit takes that terminal to know it on its basis (`AuditReplay.lookUp`),
/// in its canonical encoding, signed with HQ's key — or no account, when no claim on the card
/// was visible there.
///
/// The lattice digest of an epoch cannot prove one account, so HQ's signature over the state at
/// the terminal's own basis is the proof: the counter decides on it until its next sync, and HQ's
/// audit re-derives what it decided on the same state. Over the embedded file path the terminal's
/// own audit of HQ's file computes it and it carries no signature.
public struct AccountLookup: Codable, Hashable, Sendable, HQSignedJSON {
  public static let signedKind = "account"
  /// The protocol, "loyalty-sync/1".
  public var format = SyncCheckpoint.protocolName
  public var terminal: String
  public var card: String
  /// The basis (seq) the state is at: the terminal's checkpoint.
  public var basis: Int64
  /// HQ's ledger's end when it answered: past `basis` when other shops recorded since the
  /// terminal's last sync (the state is as of that sync; a sync brings what followed).
  public var headSeq: Int64 = 0
  /// The card's account, nil when the terminal could not have known the card on its basis.
  public var account: String?
  /// The account's canonical state (`AccountStateEncoding`), base64.
  public var state: String?
  /// HQ's clock when it signed (seconds since 1970).
  public var signedAt: Int64 = 0
  /// Base64 Ed25519 signature by HQ's key over `signedBytes()`; nil over the file path.
  public var signature: String?

  /// The most a looked-up state may take on the wire (a state is bounded by the program's windows).
  public static let maxStateBytes = 1 << 20

  public init(terminal: String, card: String, basis: Int64, headSeq: Int64, state: AccountState?) {
    self.terminal = terminal
    self.card = card
    self.basis = basis
    self.headSeq = headSeq
    account = state?.id
    self.state = state.map { Data(AccountStateEncoding.encode($0)).base64EncodedString() }
  }

  /// The account's state, checked against what was asked: HQ's signature (when `hqKey` is given),
  /// the terminal, the card and the basis; a state in its canonical encoding, of the account
  /// named, holding the card. Nil when HQ knows no account of the card on that basis.
  public func checked(terminal: String, card: String, basis: Int64, hqKey: String?) throws(SyncProtocolError)
    -> AccountState?
  {
    guard format == SyncCheckpoint.protocolName else {
      throw SyncProtocolError("HQ answered in \(format), this terminal speaks \(SyncCheckpoint.protocolName)")
    }
    if let hqKey, !isSigned(by: hqKey) {
      throw SyncProtocolError(
        "HQ's answer for card \(CardID.masked(card)) is not signed by the HQ key this terminal pinned "
          + "(\(hqKey.prefix(12))…): nothing taken")
    }
    guard self.terminal == terminal, self.card == card, self.basis == basis else {
      throw SyncProtocolError(
        "HQ answered for terminal \(self.terminal), card \(CardID.masked(self.card)) on basis \(self.basis), not what "
          + "this counter asked (\(terminal), basis \(basis)): nothing taken")
    }
    guard let state else {
      guard account == nil else { throw SyncProtocolError("HQ's answer names account \(account!) without its state") }
      return nil
    }
    guard state.count <= Self.maxStateBytes * 4 / 3 + 4, let bytes = Data(base64Encoded: state) else {
      throw SyncProtocolError("HQ's answer's state is not base64 of at most \(Self.maxStateBytes) bytes: nothing taken")
    }
    let decoded: AccountState
    do throws(RuleError) { decoded = try AccountStateEncoding.decode(bytes) } catch {
      throw SyncProtocolError("HQ's answer's state: \(error.message): nothing taken")
    }
    guard decoded.id == account, decoded.cards.contains(card) else {
      throw SyncProtocolError(
        "HQ's answer's state is of account \(decoded.id), holding \(decoded.cards.count) cards, where it names "
          + "\(account ?? "none") holding card \(CardID.masked(card)): nothing taken")
    }
    return decoded
  }
}

import Foundation
import LoyaltyTerminalCLI

/// The raw-SQLite baseline for durable earns: the same writes an earn makes (tap, entry, the
/// receipt's index entry, the account's row with its state, audit), one transaction each, run by the `sqlite3` CLI on the same database
/// file with the same `synchronous = FULL` in WAL mode.
enum SQLiteBaseline {
  /// An account's state of a cardholder's usual size (about 200 bytes), as hex.
  static let state = String(repeating: "0123456789abcdef", count: 25)

  /// Writes the script for `count` earns on `cards` and returns sqlite3's wall time.
  static func run(database: String, cards: [String], accounts: [String], count: Int, label: String) async throws
    -> Duration
  {
    var script = "PRAGMA journal_mode = WAL;\nPRAGMA synchronous = FULL;\n"
    script.reserveCapacity(count * 700)
    for i in 0..<count {
      let card = cards[i % cards.count]
      let account = accounts[i % accounts.count]
      let at = 1_900_000_000 + i
      script += """
        BEGIN;
        INSERT INTO tap (card, terminal, at) VALUES ('\(card)', 'S1', \(at)) ON CONFLICT (card, terminal) DO UPDATE SET at = excluded.at;
        INSERT INTO entry (id, kind, at, terminal, operator, accountId, card, points, amount, currency, receipt, origin, synced)
          VALUES ('earn-\(label)\(i)', 'earn', \(at), 'S1', 'bench', '\(account)', '\(card)', 40, \(1000 + i % 5000), 'EUR', '\(label)\(i)', 'local', 0);
        INSERT INTO receipt_index (id, accountId) VALUES ('\(label)\(i)', '\(account)');
        UPDATE account SET balance = balance + 40, working = X'\(Self.state)' WHERE id = '\(account)';
        INSERT INTO audit (at, terminal, operator, action, subject, detail) VALUES (\(at), 'S1', 'bench', 'earn', '\(card)', 'receipt \(label)\(i)');
        COMMIT;

        """
    }
    let scriptURL = URL(fileURLWithPath: database + ".\(label).sql")
    try script.write(to: scriptURL, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(at: scriptURL) }
    let outcome = try await Child.shell("sqlite3 -bail '\(database)' < '\(scriptURL.path)' > /dev/null")
    let elapsed = outcome.elapsed
    guard outcome.status == 0 else {
      throw ExternalClient.Failure(description: "sqlite3 failed (is the sqlite3 package installed?)")
    }
    return elapsed
  }
}

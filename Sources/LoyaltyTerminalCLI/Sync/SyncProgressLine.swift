import Foundation
import LoyaltyCLISupport
import Synchronization

/// The sync's progress on standard error: on a terminal one line redrawn in place with a bar of
/// steps; otherwise (logs, cron) one plain `sync: …` line per step; nothing under `--json`.
final class SyncProgressLine: Sendable {
  let quiet: Bool
  let tty = isatty(2) == 1
  private let step = Mutex(0)

  init(quiet: Bool) { self.quiet = quiet }

  /// Shows one step.
  @Sendable func show(_ line: String) {
    guard !quiet else { return }
    let n = step.withLock {
      $0 += 1
      return $0
    }
    if tty {
      let bar = String(repeating: "#", count: n) + String(repeating: ".", count: max(0, 5 - n))
      FileHandle.standardError.write(Data("\r\u{1B}[K[\(bar)] \(line)".utf8))
    } else {
      printError("sync: \(line)")
    }
  }

  /// Ends the redrawn line.
  func end() {
    if tty && !quiet { FileHandle.standardError.write(Data("\n".utf8)) }
  }
}

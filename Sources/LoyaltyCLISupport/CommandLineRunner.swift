import ArgumentParser
import Foundation

/// Runs a command-line tool: parses `arguments` (the process's by default) as `Root` and runs the
/// chosen subcommand. A wrong command line prints the parser's message and the usage; a failure at
/// run time prints one line, "<command path>: <what went wrong>" (with `--json`, the object
/// `{"error", "reason"}` on stdout), and exits 1 (or the failure's own status).
public func runCommandLine<Root: ParsableCommand>(_ root: Root.Type, _ arguments: [String]? = nil) async {
  // A parent may have spawned us with these blocked (libdispatch threads block every signal);
  // Ctrl-C and `kill` must still reach the command's handler.
  var signals = sigset_t()
  sigemptyset(&signals)
  sigaddset(&signals, SIGINT)
  sigaddset(&signals, SIGTERM)
  pthread_sigmask(SIG_UNBLOCK, &signals, nil)
  var command: any ParsableCommand
  do {
    command = try root.parseAsRoot(arguments)
  } catch {
    // A wrong command line: the message and the usage; asked for JSON, the object on stdout.
    let status = root.exitCode(for: error)
    if status != .success, (arguments ?? Array(CommandLine.arguments.dropFirst())).contains("--json") {
      JSONFailure.report(root.message(for: error), reason: "usage", json: true)
      Foundation.exit(status.rawValue)
    }
    root.exit(withError: error)
  }
  do {
    if var asyncCommand = command as? any AsyncParsableCommand {
      try await asyncCommand.run()
    } else {
      try command.run()
    }
  } catch let error as ExitCode {
    root.exit(withError: error)
  } catch let error as CleanExit {
    root.exit(withError: error)
  } catch  where !(error is ValidationError) && String(reflecting: type(of: error)).hasPrefix("ArgumentParser.") {
    // The parser's own errors thrown from a run, such as `help` (its HelpCommand): its message.
    root.exit(withError: error)
  } catch {
    let name = commandPath(to: type(of: command), from: root) ?? root.configuration.commandName ?? "error"
    let json = (command as? any JSONReporting)?.jsonOutput ?? false
    JSONFailure.report(
      json ? "\(FailureMessage(error))" : "\(name): \(FailureMessage(error))", reason: JSONFailure.reason(for: error),
      json: json)
    Foundation.exit((error as? CommandFailure)?.exitCode ?? 1)
  }
}

/// "loyalty-terminal sim run" for `SimRunCommand`: the words that name a subcommand under `node`.
func commandPath(to target: any ParsableCommand.Type, from node: any ParsableCommand.Type) -> String? {
  let name = node.configuration.commandName ?? "error"
  if node == target { return name }
  for child in node.configuration.subcommands {
    if let rest = commandPath(to: target, from: child) { return name + " " + rest }
  }
  return nil
}

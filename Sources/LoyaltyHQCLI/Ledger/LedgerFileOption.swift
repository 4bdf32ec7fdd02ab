import ArgumentParser

/// `--ledger PATH`, the one spelling of HQ's ledger file for every command that reads or writes it.
struct LedgerFileOption: ParsableArguments {
  @Option(help: "The ledger file.")
  var ledger: String
}

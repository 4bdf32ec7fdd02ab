import LoyaltyCore

/// Storage's answers: a receipt found for a refund, an operation checked before the confirm, an
/// operation recorded.
extension CounterMachine {
  mutating func foundReceipt(_ id: String, _ result: Result<ReceiptStatus, CounterFailure>) {
    guard case .findingReceipt(id) = state else {
      log("stale receipt look-up ignored", ["receipt": id, "state": state.name])
      return
    }
    switch result {
    case .success(let receipt) where receipt.left == 0:
      show(.refused, ["Refused", "Receipt \(receipt.id)", "is fully refunded."], reason: "receipt fully refunded")
    case .success(let receipt): go(.refundEntry(receipt: receipt, typed: ""))
    case .failure(let failure): refused(failure)
    }
  }

  mutating func checked(_ operation: CounterOperation, _ result: Result<RecordOutcome, CounterFailure>) {
    guard case .checking(operation) = state else {
      log("stale check ignored", ["operation": operation.name, "state": state.name])
      return
    }
    switch result {
    case .success(let preview): go(.confirm(operation, preview: preview))
    case .failure(let failure):
      // Refused before the cashier confirms: the basket waits for its card where that can help.
      refused(failure, kept: putBack(operation, failure: failure) ? keptLines(operation) : [])
    }
  }

  mutating func finished(_ operation: CounterOperation, _ result: Result<RecordOutcome, CounterFailure>) {
    guard case .recording(operation) = state else {
      log("a write answered outside its recording state", ["operation": operation.name, "state": state.name])
      return
    }
    switch result {
    case .success(let outcome):
      // Recorded: OK reads the card again (its balance moved), not the screen before.
      afterMessage = nil
      show(.receipt, CounterScreens.receiptLines(outcome, for: operation, program: program, standAlone: standAlone))
    case .failure(let failure):
      refused(failure, kept: putBack(operation, failure: failure) ? keptLines(operation) : [])
    }
  }
}

import Foundation
import FuzzHarness

#if FUZZING
  /// libFuzzer's entry point; the target is named by $LOYALTY_FUZZ_TARGET (see .ci/fuzz).
  nonisolated(unsafe) let target: FuzzTarget = {
    guard let name = ProcessInfo.processInfo.environment["LOYALTY_FUZZ_TARGET"], let t = FuzzTarget(rawValue: name)
    else {
      fatalError("set LOYALTY_FUZZ_TARGET to one of \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))")
    }
    return t
  }()

  @_cdecl("LLVMFuzzerTestOneInput")
  public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    target.run(size == 0 || data == nil ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
  }

  /// libFuzzer's own driver, started from the executable's entry point (SwiftPM links an
  /// executable's `main` to `loyalty_fuzz_main`, so libFuzzer's `main` is not used).
  @_silgen_name("LLVMFuzzerRunDriver")
  func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
  ) -> Int32

  @_cdecl("loyalty_fuzz_main")
  func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var count = argc
    var arguments = argv
    return runFuzzerDriver(&count, &arguments) { fuzzOne($0, $1) }
  }
#else
  /// Without the fuzzer: `loyalty-fuzz seed DIR` writes the seed corpora;
  /// `loyalty-fuzz TARGET FILE|DIR…` runs inputs through a target (a crash reproduces here).
  @main struct LoyaltyFuzz {
    static func main() async throws {
      let args = Array(CommandLine.arguments.dropFirst())
      let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: "|")
      guard let first = args.first else {
        FileHandle.standardError.write(Data("usage: loyalty-fuzz seed DIR | loyalty-fuzz \(names) FILE|DIR…\n".utf8))
        exit(2)
      }
      if first == "seed", args.count == 2 {
        for target in FuzzTarget.allCases {
          let dir = URL(fileURLWithPath: args[1]).appendingPathComponent(target.rawValue)
          try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
          for (name, bytes) in await FuzzSeeds.seeds(for: target) {
            try Data(bytes).write(to: dir.appendingPathComponent("seed-\(name)"))
          }
        }
        return
      }
      guard let target = FuzzTarget(rawValue: first) else {
        FileHandle.standardError.write(Data("unknown target \(first) (\(names))\n".utf8))
        exit(2)
      }
      var count = 0
      for path in args.dropFirst() {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else { continue }
        let files =
          isDir.boolValue
          ? (try FileManager.default.contentsOfDirectory(atPath: path)).sorted().map { path + "/" + $0 } : [path]
        for file in files {
          await target.check(Array(try Data(contentsOf: URL(fileURLWithPath: file))))
          count += 1
        }
      }
      print("\(target.rawValue): \(count) inputs, no failure")
    }
  }
#endif

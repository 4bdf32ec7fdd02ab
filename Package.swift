// swift-tools-version: 6.2
import PackageDescription

let package = Package(
  name: "loyalty-terminal",
  platforms: [.macOS(.v15)],
  products: [
    .executable(name: "loyalty-terminal", targets: ["loyalty-terminal"]),
    .executable(name: "loyalty-hq", targets: ["loyalty-hq"]),
    .executable(name: "loyalty-devtools", targets: ["loyalty-devtools"]),
    .library(name: "CardReader", targets: ["CardReader"]),
    .library(name: "PCSCCardReader", targets: ["PCSCCardReader"]),
    .library(name: "SimulatedCardReader", targets: ["SimulatedCardReader"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    .package(url: "https://github.com/pointfreeco/swift-clocks", from: "1.1.1"),
    .package(url: "https://github.com/pointfreeco/swift-concurrency-extras", from: "1.4.3"),
    .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
    .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
    .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
    .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
    .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
    .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
    .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
  ],
  targets: [
    // C binding to libpcsclite, loaded at run time (dlopen): the build needs no pcsc-lite files.
    // Only the live module imports it.
    .target(name: "CPCSCLite", linkerSettings: [.linkedLibrary("dl")]),
    // An operator's files (programs, scenarios, profiles, snapshots) read with errors in words, and
    // the system-call layer: swift-system's FileDescriptor and what this project adds to it (fsync,
    // flock, reads that loop over short reads), every call again after EINTR, failures as Errno.
    .target(name: "LocalFiles", dependencies: [.product(name: "SystemPackage", package: "swift-system")]),
    // The reader protocol the firmware depends on: events, sessions, APDUs, errors.
    // The one hex codec (UIDs and APDUs in upper case, digests in lower case).
    .target(name: "HexCoding"),
    .target(name: "CardReader", dependencies: ["HexCoding"]),
    // Live readers through pcscd.
    .target(
      name: "PCSCCardReader",
      dependencies: ["CardReader", "CPCSCLite", "LocalFiles", .product(name: "Logging", package: "swift-log")]
    ),
    // Card applications (uid, applet, ndef) shared by the simulator and the vpcd virtual card.
    .target(
      name: "CardEmulation",
      dependencies: ["CardReader", "LoyaltyCore", .product(name: "Crypto", package: "swift-crypto")]),
    // The in-process simulated reader, same API as the live one.
    .target(name: "SimulatedCardReader", dependencies: ["CardReader", "CardEmulation"]),
    // Virtual cards that plug into pcscd through vpcd's TCP socket.
    .target(
      name: "VirtualCard",
      dependencies: ["CardEmulation", "LocalFiles", .product(name: "Logging", package: "swift-log")]
    ),
    // Card identification: ATR profiles, applet, NDEF and UID to a loyalty card ID.
    // The default ATR profiles are hardware/card-profiles.json, built into the binary.
    .target(
      name: "CardIdentification",
      dependencies: ["CardReader", "LocalFiles", "LoyaltyCore"],
      resources: [.embedInCode("card-profiles.json")]
    ),
    // The loyalty domain, pure (no files, no database, no readers): identities, the program, one
    // Entry type, account state, the decisions and the one reducer every adapter uses.
    .target(
      name: "LoyaltyCore",
      dependencies: [
        "HexCoding", .product(name: "Crypto", package: "swift-crypto"),
        .product(name: "_CryptoExtras", package: "swift-crypto"),
      ]
    ),
    // The terminal's offline points cache: one SQLite file per terminal, through GRDB.
    .target(
      name: "PointsCache",
      dependencies: ["LoyaltyCore", .product(name: "GRDB", package: "GRDB.swift")]
    ),
    // Shared: the ledger's format, what every reader of it needs: canonical lines, the hash chain,
    // keys and Ed25519 seals, the verifier, the fold and snapshots. No lock, no admission.
    .target(
      name: "LedgerFormat",
      dependencies: [
        "LoyaltyCore", "HexCoding", "LocalFiles", .product(name: "Crypto", package: "swift-crypto"),
        .product(name: "SystemPackage", package: "swift-system"),
      ]
    ),
    // HQ: the ledger's store, its single writer: the file, the writers' lock, admission, the refusal
    // log, backup and restore, and the embedded file path (a terminal syncing with HQ's file runs
    // HQ's admission on it).
    .target(
      name: "LedgerStore",
      dependencies: [
        "LedgerFormat", "HexCoding", "SyncProtocol", "LoyaltyCore", "LocalFiles",
        .product(name: "Crypto", package: "swift-crypto"), .product(name: "SystemPackage", package: "swift-system"),
      ]
    ),
    // HQ: the back office over the ledger: status, account look-up, exports, reports, expiry and
    // the notification events.
    .target(
      name: "HQBackOffice",
      dependencies: [
        "LedgerFormat", "LedgerStore", "LoyaltyCore", "HexCoding", "LocalFiles",
        .product(name: "Crypto", package: "swift-crypto"),
      ]),
    // Terminal: the nightly sync of a terminal's cache with the central ledger, over any connection.
    .target(name: "NightlySync", dependencies: ["LedgerFormat", "PointsCache", "LoyaltyCore", "SyncProtocol"]),
    // Shared: what a terminal and HQ's sync service say to each other: HQ-signed checkpoints,
    // submission answers, HTTP message signatures (RFC 9421), content digests (RFC 9530), the
    // connection port and the verified reader of a downloaded range. Depends on the format only.
    .target(
      name: "SyncProtocol",
      dependencies: ["LedgerFormat", "LoyaltyCore", .product(name: "Crypto", package: "swift-crypto")]
    ),
    // HQ's sync service (Hummingbird 2): the ledger's single writer over HTTP; its metrics through
    // swift-metrics, exported by swift-prometheus.
    .target(
      name: "HQService",
      dependencies: [
        "LedgerFormat", "LedgerStore", "LocalFiles", "LoyaltyCore", "SyncProtocol",
        .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "HummingbirdTLS", package: "hummingbird"), .product(name: "Logging", package: "swift-log"),
        .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOSSL", package: "swift-nio-ssl"),
        .product(name: "SystemPackage", package: "swift-system"),
        .product(name: "CoreMetrics", package: "swift-metrics"), .product(name: "Metrics", package: "swift-metrics"),
        .product(name: "Prometheus", package: "swift-prometheus"),
      ]),
    // The one retry policy of HTTP clients (HQ's client, the webhook notifier): attempts, capped
    // back-off with jitter, which failures are worth another attempt. Foundation only.
    .target(name: "HTTPRetry"),
    // A terminal's connection to HQ's service (AsyncHTTPClient): signed requests, retries, resumable downloads.
    .target(
      name: "HQClient",
      dependencies: [
        "LedgerFormat", "LoyaltyCore", "SyncProtocol", "HTTPRetry", "LocalFiles",
        .product(name: "SystemPackage", package: "swift-system"),
        .product(name: "AsyncHTTPClient", package: "async-http-client"),
        .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "NIOHTTP1", package: "swift-nio"),
        .product(name: "NIOFoundationCompat", package: "swift-nio"), .product(name: "NIOSSL", package: "swift-nio-ssl"),
        .product(name: "Logging", package: "swift-log"),
      ]),
    // HQ's notifications to a customer-messaging webhook (`ledger notify`).
    .target(
      name: "Notifications",
      dependencies: [
        "LedgerFormat", "HQBackOffice", "LoyaltyCore", "HTTPRetry",
        .product(name: "AsyncHTTPClient", package: "async-http-client"),
        .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
        .product(name: "NIOFoundationCompat", package: "swift-nio"), .product(name: "Logging", package: "swift-log"),
        .product(name: "NIOSSL", package: "swift-nio-ssl"), .product(name: "Crypto", package: "swift-crypto"),
      ]),
    // The scenario file format (sim/README.md) and its strict parser.
    .target(name: "ScenarioFormat", dependencies: ["LocalFiles", "LoyaltyCore"]),
    // The counter's firmware: a state machine over reader, keypad, display, indicator, clock, storage.
    .target(
      name: "CounterFirmware",
      dependencies: [
        "CardReader", "CardIdentification", "LocalFiles", "LoyaltyCore",
        .product(name: "Logging", package: "swift-log"),
      ]),
    // The terminal's runtime: the firmware's ports on the real parts (the storage on the points
    // cache, the reader's LED and buzzer and their profiles, the console, the keyboard, the clocks)
    // and the run loop as services (swift-service-lifecycle) with graceful shutdown. No simulation
    // or HQ module. The default reader profiles are hardware/reader-profiles.json, built in.
    .target(
      name: "CounterRuntime",
      dependencies: [
        "CounterFirmware", "CardReader", "CardIdentification", "HexCoding", "LocalFiles", "PointsCache", "LoyaltyCore",
        .product(name: "Logging", package: "swift-log"), .product(name: "SystemPackage", package: "swift-system"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
      ],
      resources: [.embedInCode("reader-profiles.json")]),
    // The simulated counter, scenarios, the chain simulation and the demo.
    .target(
      name: "CounterSimulation",
      dependencies: [
        "CounterFirmware", "CounterRuntime", "ScenarioFormat", "LocalFiles", "CardReader", "CardEmulation",
        "SimulatedCardReader",
        "CardIdentification", "LoyaltyCore",
        "PointsCache", "LedgerFormat", "LedgerStore", "HQBackOffice", "NightlySync", "SyncProtocol",
        .product(name: "Crypto", package: "swift-crypto"),
        .product(name: "Logging", package: "swift-log"),
      ]),
    // Fuzz targets for every parser of hostile input, and the libFuzzer executable (.ci/fuzz).
    .target(
      name: "FuzzHarness",
      dependencies: [
        "CardReader", "CardEmulation", "CardIdentification", "LedgerFormat", "LoyaltyCore", "ScenarioFormat",
      ]),
    .executableTarget(name: "loyalty-fuzz", dependencies: ["FuzzHarness"], path: "Sources/LoyaltyFuzz"),
    // What both command lines share: the runner, failures in words and as JSON, reports, times and
    // cards as arguments, the release. No reader, cache or network module.
    .target(
      name: "LoyaltyCLISupport",
      dependencies: [
        "LedgerFormat", "LocalFiles", "LoyaltyCore", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "Logging", package: "swift-log"),
      ]),
    // The counter's command line: the firmware, readers, the points cache, the nightly sync, the
    // simulator. It links no HQ module (HQService, Notifications): a till does not carry HQ's server.
    .target(
      name: "LoyaltyTerminalCLI",
      dependencies: [
        "LoyaltyCLISupport", "CardReader", "PCSCCardReader", "SimulatedCardReader", "CardEmulation", "VirtualCard",
        "CardIdentification", "LocalFiles", "LoyaltyCore", "PointsCache", "LedgerFormat", "LedgerStore", "NightlySync",
        "CounterFirmware",
        "ScenarioFormat", "HQClient", "SyncProtocol", "CounterRuntime", "CounterSimulation",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "Logging", package: "swift-log"), .product(name: "SystemPackage", package: "swift-system"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
      ]
    ),
    .executableTarget(name: "loyalty-terminal", dependencies: ["LoyaltyTerminalCLI"]),
    // HQ's command line: the ledger's tools (`ledger …`) and the sync service (`serve`).
    .target(
      name: "LoyaltyHQCLI",
      dependencies: [
        "LoyaltyCLISupport", "LedgerFormat", "LedgerStore", "HQBackOffice", "LoyaltyCore", "LocalFiles", "HQService",
        "Notifications",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "Logging", package: "swift-log"), .product(name: "NIOSSL", package: "swift-nio-ssl"),
      ]
    ),
    .executableTarget(name: "loyalty-hq", dependencies: ["LoyaltyHQCLI"]),
    // Developer tools, not shipped in the product: benchmarks, fault campaigns and their workers
    // (as swift-nio keeps NIOPerformanceTester apart). Spawns `loyalty-terminal` and `loyalty-hq` from
    // its own directory.
    .executableTarget(
      name: "loyalty-devtools",
      dependencies: [
        "LoyaltyTerminalCLI", "LoyaltyCLISupport", "CardReader", "PCSCCardReader", "SimulatedCardReader",
        "CardEmulation", "VirtualCard", "CardIdentification", "LoyaltyCore", "PointsCache", "LedgerFormat",
        "LedgerStore", "HQBackOffice", "NightlySync",
        "CounterSimulation", "ScenarioFormat", "HQClient", "HQService", "HTTPRetry", "HexCoding",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "GRDB", package: "GRDB.swift"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "Subprocess", package: "swift-subprocess"),
      ],
      path: "Sources/LoyaltyDevTools"),
    .testTarget(
      name: "CardReaderTests",
      dependencies: [
        "CardReader", "CardEmulation", "SimulatedCardReader", "CardIdentification", "LoyaltyCore", "TestSupport",
        .product(name: "Clocks", package: "swift-clocks"),
        .product(name: "ConcurrencyExtras", package: "swift-concurrency-extras"),
      ]
    ),
    // Helpers shared by the test targets (child processes with a clean signal mask).
    .target(
      name: "TestSupport",
      dependencies: ["LoyaltyCore", "LedgerFormat", "LedgerStore", "CounterSimulation", "PointsCache", "NightlySync"],
      path: "Tests/TestSupport"
    ),
    .testTarget(
      name: "LoyaltyCoreTests", dependencies: ["LoyaltyCore", .product(name: "Crypto", package: "swift-crypto")]),
    .testTarget(name: "HTTPRetryTests", dependencies: ["HTTPRetry"]),
    .testTarget(name: "FuzzRegressionTests", dependencies: ["FuzzHarness"]),
    .testTarget(
      name: "CounterFirmwareTests",
      dependencies: [
        "CounterFirmware", "CounterRuntime", "CounterSimulation", "ScenarioFormat", "CardReader", "CardEmulation",
        "SimulatedCardReader", "CardIdentification", "PointsCache", "LoyaltyCore", "TestSupport", "loyalty-terminal",
        "loyalty-hq",
        .product(name: "Logging", package: "swift-log"), "LedgerFormat", "LedgerStore",
        .product(name: "GRDB", package: "GRDB.swift"), .product(name: "Crypto", package: "swift-crypto"), "HexCoding",
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
      ]),
    // The chain simulation and the scenarios: whole chains of simulated counters, HQ's ledger and
    // their nightly syncs, with the invariants checked.
    .testTarget(
      name: "ChainSimulationTests",
      dependencies: [
        "CounterSimulation", "ScenarioFormat", "CardEmulation", "PointsCache", "LoyaltyCore", "LedgerFormat",
        "LedgerStore", "TestSupport", "loyalty-terminal", "loyalty-hq", .product(name: "Logging", package: "swift-log"),
        .product(name: "GRDB", package: "GRDB.swift"),
      ]),
    .testTarget(
      name: "LedgerTests",
      dependencies: ["LedgerFormat", "LedgerStore", "HQBackOffice", "CounterSimulation", "LoyaltyCore", "TestSupport"]),
    .testTarget(
      name: "NightlySyncTests",
      dependencies: [
        "NightlySync", "LedgerFormat", "LedgerStore", "HQBackOffice", "PointsCache", "LoyaltyCore", "TestSupport",
        "CounterSimulation", "loyalty-terminal", "loyalty-hq",
        "HQClient", "SyncProtocol", .product(name: "GRDB", package: "GRDB.swift"),
        .product(name: "Logging", package: "swift-log"), .product(name: "Crypto", package: "swift-crypto"),
      ]),
    // HQ's sync service and a terminal's client of it, over HTTP on loopback (loyalty-hq serve).
    .testTarget(
      name: "HQSyncServiceTests",
      dependencies: [
        "LoyaltyCLISupport",
        "NightlySync", "LedgerFormat", "LedgerStore", "PointsCache", "LoyaltyCore", "TestSupport", "loyalty-terminal",
        "loyalty-hq", "CounterSimulation",
        "HQClient", "HTTPRetry", "SyncProtocol", .product(name: "GRDB", package: "GRDB.swift"),
        .product(name: "Logging", package: "swift-log"),
      ]),
    // HQ's back office through loyalty-hq: status, look-up, guarded appends, exports, reports,
    // notifications, backup and restore.
    .testTarget(
      name: "HQBackOfficeTests",
      dependencies: [
        "LoyaltyCLISupport",
        "NightlySync", "LedgerFormat", "LedgerStore", "HQBackOffice", "PointsCache", "LoyaltyCore", "TestSupport",
        "CounterSimulation", "loyalty-terminal", "loyalty-hq",
        "HQClient", "HTTPRetry", "SyncProtocol", "Notifications", .product(name: "GRDB", package: "GRDB.swift"),
        .product(name: "Logging", package: "swift-log"),
      ]),
    .testTarget(
      name: "PointsCacheTests",
      dependencies: [
        "PointsCache", "LoyaltyCore", "TestSupport", "loyalty-terminal", "loyalty-hq", "loyalty-devtools",
        .product(name: "GRDB", package: "GRDB.swift"),
      ]),
    .testTarget(
      name: "PCSCIntegrationTests",
      dependencies: [
        "CardReader", "PCSCCardReader", "CardEmulation", "VirtualCard", "CardIdentification", "LoyaltyCore",
        "CPCSCLite", "TestSupport", "loyalty-terminal", "CounterRuntime",
        .product(name: "Logging", package: "swift-log"), .product(name: "Crypto", package: "swift-crypto"),
      ]
    ),
  ],
  swiftLanguageModes: [.v6]
)

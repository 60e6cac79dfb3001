// swift-tools-version:6.0
// Grille: offline evaluation grids for French vocational exams, replicated to an academy server.
// No package dependencies: the toolchain and the system libsqlite3 only.
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "Grille",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "grille-server", targets: ["Server"]),
        .executable(name: "grille-agent", targets: ["Agent"]),
        .executable(name: "grille-bench", targets: ["GrilleBench"]),
    ],
    targets: [
        .systemLibrary(
            name: "CSQLite",
            path: "Sources/CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        .target(
            name: "Shared",
            dependencies: ["CSQLite"],
            path: "Sources/Shared",
            resources: [.copy("Resources/templates"), .copy("Resources/web")],
            swiftSettings: strict
        ),
        .executableTarget(name: "Server", dependencies: ["Shared"], path: "Sources/Server", swiftSettings: strict),
        .executableTarget(name: "Agent", dependencies: ["Shared"], path: "Sources/Agent", swiftSettings: strict),
        // The Swift side of the benchmarks (bench/README.md); never shipped.
        .executableTarget(name: "GrilleBench", dependencies: ["Shared"], path: "bench/Sources/GrilleBench", swiftSettings: strict),
        .target(name: "TestSupport", dependencies: ["Shared"], path: "Tests/TestSupport", swiftSettings: strict),
        .testTarget(name: "SharedTests", dependencies: ["Shared", "TestSupport"], path: "Tests/SharedTests", swiftSettings: strict),
        .testTarget(name: "AgentTests", dependencies: ["Agent", "Shared", "TestSupport"], path: "Tests/AgentTests", swiftSettings: strict),
        .testTarget(name: "IntegrationTests", dependencies: ["Shared", "TestSupport"], path: "Tests/IntegrationTests", swiftSettings: strict),
        .testTarget(name: "ServerTests", dependencies: ["Server", "Shared", "TestSupport"], path: "Tests/ServerTests", swiftSettings: strict),
        .testTarget(name: "SimulationTests", dependencies: ["Agent", "Server", "Shared", "TestSupport"], path: "Tests/SimulationTests", swiftSettings: strict),
    ]
)

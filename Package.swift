// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "Switchyard",
    products: [
        .executable(name: "switchyard", targets: ["switchyard"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // Native libraries, found through pkg-config; `make deps` installs them.
        .systemLibrary(name: "CZeroMQ", pkgConfig: "libzmq", providers: [.apt(["libzmq3-dev"])]),
        .systemLibrary(name: "CMPI", pkgConfig: "ompi", providers: [.apt(["libopenmpi-dev", "openmpi-bin"])]),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),

        // Streaming matrix-vector kernels for decode shapes, AVX2+FMA when the CPU has it.
        .target(name: "CKernels", cSettings: [.unsafeFlags(["-O3"])]),
        // What every layer shares and nothing heavy: payload types, placement, device positions, bf16/fp8
        // conversions, FNV-1a, SplitMix64, and the one JSON reader (paths, one error) of topology and cluster files.
        .target(name: "SwitchyardCore", dependencies: ["CKernels"]),
        // Mistral4's configuration without its math: config.json, validation, presets, parameter counts, fingerprint.
        .target(name: "SwitchyardModelConfig", dependencies: ["SwitchyardCore"]),
        // Dense math on the CPU: OpenBLAS products, streaming kernels and the machine's SIMD features.
        .target(name: "SwitchyardKernels", dependencies: ["COpenBLAS", "CKernels", "SwitchyardCore"]),
        // Mistral4's architecture: weights, checkpoints and the forward pass.
        .target(name: "SwitchyardModel", dependencies: ["SwitchyardCore", "SwitchyardModelConfig", "SwitchyardKernels"]),
        // Moving frames between processes: ZeroMQ sockets, MPI point-to-point, in-process mailboxes.
        .target(name: "SwitchyardTransport", dependencies: ["CZeroMQ", "CMPI", "SwitchyardWire"]),
        // The bytes of coordinator–host messages: frames, checksums, validation against the model's configuration.
        .target(name: "SwitchyardWire", dependencies: ["SwitchyardCore", "SwitchyardModelConfig", "CKernels"]),
        // The traffic ledger: every dispatch and combine as a record, and its aggregates. Pure values.
        .target(name: "SwitchyardTraffic", dependencies: ["SwitchyardCore"]),
        // The protocol as pure values: dispatch plans, combine, host-side math, and the coordinator's
        // and hosts' sessions as state machines (events in, directives out). No sockets, clocks or BLAS.
        .target(name: "SwitchyardProtocol", dependencies: ["SwitchyardCore", "SwitchyardModelConfig", "SwitchyardWire", "SwitchyardTraffic",
                                                   .product(name: "Logging", package: "swift-log")]),
        // The drivers that run the sessions over transports and clocks, the embedded harness, workloads.
        .target(name: "SwitchyardRuntime", dependencies: ["CKernels", "SwitchyardCore", "SwitchyardModelConfig", "SwitchyardKernels", "SwitchyardModel",
                                                          "SwitchyardWire", "SwitchyardProtocol", "SwitchyardTransport", "SwitchyardTraffic",
                                                          .product(name: "Logging", package: "swift-log")]),
        // Cluster files: transport, endpoints, devices and placement of a coordinator and its hosts.
        .target(name: "SwitchyardCluster", dependencies: ["SwitchyardCore", "SwitchyardModelConfig"]),
        // GPU systems described in topology files: nodes, GPUs, fabric, network.
        .target(name: "SwitchyardTopology", dependencies: ["SwitchyardCore"]),
        // Capacity planning and the cluster simulator's cost model: pure functions of model and topology;
        // messages sized by the wire's layout (the codec only: no native libraries).
        .target(name: "SwitchyardSimulator", dependencies: ["SwitchyardTopology", "SwitchyardCore", "SwitchyardModelConfig", "SwitchyardWire"]),
        // A run's Prometheus metrics and the tiny HTTP responder that serves them.
        .target(name: "SwitchyardMetrics", dependencies: ["SwitchyardTraffic", .product(name: "Prometheus", package: "swift-prometheus")]),
        // The simulator's self-contained HTML report: an SVG timeline and a traffic heatmap; and a run
        // directory's files read from their bytes into its report (RunFiles). No native libraries.
        .target(name: "SwitchyardReport", dependencies: ["SwitchyardCore", "SwitchyardTopology", "SwitchyardSimulator", "SwitchyardTraffic"]),

        // Orchestration: starting a cluster's hosts (threads, processes, mpirun ranks), serving a
        // workload, the run directory, signals, and the all-to-all benchmark. What the CLI calls.
        .target(name: "SwitchyardLaunch", dependencies: ["SwitchyardCore", "SwitchyardModelConfig", "SwitchyardKernels", "SwitchyardModel", "SwitchyardWire",
                                                         "SwitchyardTransport", "SwitchyardProtocol", "SwitchyardRuntime", "SwitchyardCluster",
                                                         "SwitchyardTraffic", "SwitchyardMetrics", "SwitchyardReport", "SwitchyardTopology",
                                                         "SwitchyardSimulator", .product(name: "Logging", package: "swift-log")]),
        // `switchyard serve`: OpenAI-style completions over HTTP/1 (swift-nio), the model loop on one
        // thread that owns the cluster, and the client side of `bench serve`.
        .target(name: "SwitchyardServe", dependencies: ["SwitchyardCore", "SwitchyardModelConfig", "SwitchyardKernels", "SwitchyardModel", "SwitchyardRuntime",
                                                        "SwitchyardTraffic", "SwitchyardMetrics",
                                                        .product(name: "Prometheus", package: "swift-prometheus"),
                                                        .product(name: "NIOCore", package: "swift-nio"),
                                                        .product(name: "NIOPosix", package: "swift-nio"),
                                                        .product(name: "NIOHTTP1", package: "swift-nio")]),

        .executableTarget(
            name: "switchyard",
            dependencies: [
                "CKernels",
                "SwitchyardCore",
                "SwitchyardModelConfig",
                "SwitchyardKernels",
                "SwitchyardModel",
                "SwitchyardWire",
                "SwitchyardTransport",
                "SwitchyardCluster",
                "SwitchyardRuntime",
                "SwitchyardProtocol",
                "SwitchyardTopology",
                "SwitchyardSimulator",
                "SwitchyardReport",
                "SwitchyardTraffic",
                "SwitchyardMetrics",
                "SwitchyardLaunch",
                "SwitchyardServe",
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Started by the MPI test under `mpirun -np 3`: an allreduce and a ring exchange.
        .executableTarget(name: "switchyard-mpi-check", dependencies: ["SwitchyardTransport", "SwitchyardWire"]),

        // The untrusted-input readers as fuzz targets; `make fuzz` builds the harness with libFuzzer
        // (-DFUZZING -sanitize=fuzzer), a plain build is a replayer of saved inputs.
        .target(name: "SwitchyardFuzzTargets", dependencies: ["SwitchyardCore", "SwitchyardModelConfig", "SwitchyardModel", "SwitchyardWire",
                                                              "SwitchyardTopology", "SwitchyardCluster", "SwitchyardTraffic", "SwitchyardReport"],
                path: "Tests/Fuzz/Targets"),
        .executableTarget(name: "switchyard-fuzz", dependencies: ["SwitchyardFuzzTargets"], path: "Tests/Fuzz/Harness"),

        // Starting the package's executables from tests, with deadlines.
        .target(name: "SwitchyardTestSupport", path: "Tests/SwitchyardTestSupport"),
        .testTarget(name: "SwitchyardKernelsTests", dependencies: ["SwitchyardKernels", "SwitchyardCore", "CKernels"]),
        .testTarget(name: "SwitchyardModelTests", dependencies: ["SwitchyardModel", "SwitchyardRuntime", "SwitchyardModelConfig", "SwitchyardCore", "SwitchyardKernels", "SwitchyardTestSupport"]),
        .testTarget(name: "SwitchyardTransportTests", dependencies: ["SwitchyardTransport", "SwitchyardWire", "SwitchyardTestSupport"]),
        .testTarget(name: "SwitchyardWireTests", dependencies: ["SwitchyardWire", "SwitchyardModelConfig", "SwitchyardCore"]),
        .testTarget(name: "SwitchyardRuntimeTests", dependencies: ["SwitchyardRuntime", "SwitchyardTraffic", "SwitchyardProtocol", "SwitchyardTransport", "SwitchyardWire", "SwitchyardModel",
                                                                  "SwitchyardModelConfig", "SwitchyardCore", "SwitchyardKernels"]),
        .testTarget(name: "SwitchyardClusterTests", dependencies: ["SwitchyardCluster", "SwitchyardModelConfig", "SwitchyardCore"]),
        .testTarget(name: "SwitchyardCLITests", dependencies: ["SwitchyardModel", "SwitchyardModelConfig", "SwitchyardKernels", "SwitchyardTestSupport"]),
        .testTarget(name: "SwitchyardTrafficTests", dependencies: ["SwitchyardTraffic", "SwitchyardTransport", "SwitchyardMetrics", "SwitchyardRuntime", "SwitchyardProtocol", "SwitchyardReport",
                                                                  "SwitchyardSimulator", "SwitchyardTopology", "SwitchyardWire", "SwitchyardModel", "SwitchyardModelConfig", "SwitchyardCore"]),
        .testTarget(name: "SwitchyardLaunchTests", dependencies: ["SwitchyardLaunch", "SwitchyardRuntime", "SwitchyardCluster", "SwitchyardTraffic",
                                                                 "SwitchyardProtocol", "SwitchyardMetrics", .product(name: "Logging", package: "swift-log"),
                                                                 "SwitchyardModel", "SwitchyardModelConfig", "SwitchyardCore", "SwitchyardTestSupport"]),
        .testTarget(name: "SwitchyardServeTests", dependencies: ["SwitchyardServe", "SwitchyardRuntime", "SwitchyardModel", "SwitchyardModelConfig",
                                                                "SwitchyardCore", "SwitchyardTestSupport",
                                                                .product(name: "NIOHTTP1", package: "swift-nio"),
                                                                .product(name: "NIOPosix", package: "swift-nio")]),
        .testTarget(name: "SwitchyardTopologyTests", dependencies: ["SwitchyardTopology"]),
        // Package.swift's layers: which targets may link native libraries, and every import declared.
        .testTarget(name: "SwitchyardLayerTests", dependencies: ["SwitchyardTestSupport"]),
        // The fuzz targets' seed corpora and every crash the fuzzer found, replayed.
        .testTarget(name: "SwitchyardFuzzTests", dependencies: ["SwitchyardFuzzTargets", "SwitchyardCore"]),
        .testTarget(name: "SwitchyardSimulatorTests", dependencies: ["SwitchyardSimulator", "SwitchyardTopology", "SwitchyardModelConfig"]),
    ]
)

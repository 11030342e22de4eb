// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "Switchyard",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "switchyard", targets: ["switchyard"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // Native libraries, found through pkg-config; `make deps` installs them.
        .systemLibrary(name: "CZeroMQ", pkgConfig: "libzmq", providers: [.apt(["libzmq3-dev"])]),
        .systemLibrary(name: "CMPI", pkgConfig: "ompi", providers: [.apt(["libopenmpi-dev", "openmpi-bin"])]),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),

        // Streaming matrix-vector kernels for decode shapes, AVX2+FMA when the CPU has it.
        .target(name: "CKernels", cSettings: [.unsafeFlags(["-O3"])]),
        // Dense math on the CPU: OpenBLAS products, streaming kernels and the machine's SIMD features.
        .target(name: "SwitchyardKernels", dependencies: ["COpenBLAS", "CKernels"]),
        // Mistral4's architecture: configuration, weights, checkpoints and the forward pass.
        .target(name: "SwitchyardModel", dependencies: ["SwitchyardKernels", "CKernels"]),
        // Moving frames between processes: ZeroMQ sockets, MPI point-to-point, in-process mailboxes.
        .target(name: "SwitchyardTransport", dependencies: ["CZeroMQ", "CMPI", "SwitchyardWire"]),
        // The bytes of coordinator–host messages: frames, checksums, validation against the model.
        .target(name: "SwitchyardWire", dependencies: ["SwitchyardModel", "CKernels"]),
        // The traffic ledger: every dispatch and combine as a record, and its aggregates. Pure values.
        .target(name: "SwitchyardTraffic"),
        // The protocol as pure values: placement, dispatch plans, combine, host-side math, and the
        // coordinator's and hosts' sessions as state machines (events in, directives out).
        .target(name: "SwitchyardProtocol", dependencies: ["SwitchyardModel", "SwitchyardWire", "SwitchyardTraffic"]),
        // The drivers that run the sessions over transports and clocks, the embedded harness, workloads.
        .target(name: "SwitchyardRuntime", dependencies: ["SwitchyardKernels", "SwitchyardModel", "SwitchyardWire", "SwitchyardProtocol", "SwitchyardTransport", "SwitchyardTraffic"]),
        // Cluster files: transport, endpoints, devices and placement of a coordinator and its hosts.
        .target(name: "SwitchyardCluster", dependencies: ["SwitchyardProtocol", "SwitchyardModel", "SwitchyardWire", "SwitchyardTraffic", "SwitchyardTopology"]),
        // GPU systems described in topology files: nodes, GPUs, fabric, network.
        .target(name: "SwitchyardTopology"),
        // Capacity planning and the cluster simulator's cost model: pure functions of model and topology.
        .target(name: "SwitchyardSimulator", dependencies: ["SwitchyardTopology", "SwitchyardModel", "SwitchyardKernels"]),
        // A run's Prometheus metrics and the tiny HTTP responder that serves them.
        .target(name: "SwitchyardMetrics", dependencies: ["SwitchyardTraffic", .product(name: "Prometheus", package: "swift-prometheus")]),
        // The simulator's self-contained HTML report: an SVG timeline and a traffic heatmap.
        .target(name: "SwitchyardReport", dependencies: ["SwitchyardSimulator", "SwitchyardTraffic"]),

        .executableTarget(
            name: "switchyard",
            dependencies: [
                "CKernels",
                "SwitchyardKernels",
                "SwitchyardModel",
                "SwitchyardTransport",
                "SwitchyardCluster",
                "SwitchyardRuntime",
                "SwitchyardProtocol",
                "SwitchyardWire",
                "SwitchyardTopology",
                "SwitchyardSimulator",
                "SwitchyardReport",
                "SwitchyardTraffic",
                "SwitchyardMetrics",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Started by the MPI test under `mpirun -np 3`: an allreduce and a ring exchange.
        .executableTarget(name: "switchyard-mpi-check", dependencies: ["SwitchyardTransport"]),

        // Starting the package's executables from tests, with deadlines.
        .target(name: "SwitchyardTestSupport", path: "Tests/SwitchyardTestSupport"),
        .testTarget(name: "SwitchyardKernelsTests", dependencies: ["SwitchyardKernels", "CKernels"]),
        .testTarget(name: "SwitchyardModelTests", dependencies: ["SwitchyardModel", "SwitchyardTestSupport"]),
        .testTarget(name: "SwitchyardTransportTests", dependencies: ["SwitchyardTransport", "SwitchyardTestSupport"]),
        .testTarget(name: "SwitchyardWireTests", dependencies: ["SwitchyardWire", "SwitchyardModel", "SwitchyardKernels"]),
        .testTarget(name: "SwitchyardRuntimeTests", dependencies: ["SwitchyardRuntime", "SwitchyardProtocol", "SwitchyardTransport", "SwitchyardWire", "SwitchyardModel", "SwitchyardKernels"]),
        .testTarget(name: "SwitchyardClusterTests", dependencies: ["SwitchyardCluster", "SwitchyardProtocol", "SwitchyardRuntime", "SwitchyardModel"]),
        .testTarget(name: "SwitchyardCLITests", dependencies: ["SwitchyardModel", "SwitchyardTestSupport"]),
        .testTarget(name: "SwitchyardTrafficTests", dependencies: ["SwitchyardTraffic", "SwitchyardMetrics", "SwitchyardRuntime", "SwitchyardProtocol", "SwitchyardReport", "SwitchyardSimulator", "SwitchyardTopology", "SwitchyardWire", "SwitchyardModel"]),
        .testTarget(name: "SwitchyardTopologyTests", dependencies: ["SwitchyardTopology"]),
        .testTarget(name: "SwitchyardSimulatorTests", dependencies: ["SwitchyardSimulator", "SwitchyardTopology", "SwitchyardModel"]),
    ]
)

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
    ],
    targets: [
        // Native libraries, found through pkg-config; `make deps` installs them.
        .systemLibrary(name: "CZeroMQ", pkgConfig: "libzmq", providers: [.apt(["libzmq3-dev"])]),
        .systemLibrary(name: "CMPI", pkgConfig: "ompi", providers: [.apt(["libopenmpi-dev", "openmpi-bin"])]),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),

        // Dense math on the CPU: OpenBLAS products and the machine's SIMD features.
        .target(name: "SwitchyardKernels", dependencies: ["COpenBLAS"]),
        // Mistral4's architecture: configuration, weights, checkpoints and the forward pass.
        .target(name: "SwitchyardModel", dependencies: ["SwitchyardKernels"]),
        // Moving bytes between processes: ZeroMQ sockets and MPI point-to-point.
        .target(name: "SwitchyardTransport", dependencies: ["CZeroMQ", "CMPI"]),

        .executableTarget(
            name: "switchyard",
            dependencies: [
                "SwitchyardKernels",
                "SwitchyardModel",
                "SwitchyardTransport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Started by the MPI test under `mpirun -np 3`: an allreduce and a ring exchange.
        .executableTarget(name: "switchyard-mpi-check", dependencies: ["SwitchyardTransport"]),

        // Starting the package's executables from tests, with deadlines.
        .target(name: "SwitchyardTestSupport", path: "Tests/SwitchyardTestSupport"),
        .testTarget(name: "SwitchyardKernelsTests", dependencies: ["SwitchyardKernels"]),
        .testTarget(name: "SwitchyardModelTests", dependencies: ["SwitchyardModel", "SwitchyardTestSupport"]),
        .testTarget(name: "SwitchyardTransportTests", dependencies: ["SwitchyardTransport", "SwitchyardTestSupport"]),
        .testTarget(name: "SwitchyardCLITests", dependencies: ["SwitchyardModel", "SwitchyardTestSupport"]),
    ]
)

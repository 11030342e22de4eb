import Foundation
import SwitchyardTestSupport
import Testing

/// The package's layers as Package.swift declares them: the wire codec, cluster and topology files,
/// the simulator and the run-directory reader must not link OpenBLAS, ZeroMQ or MPI, and no source may import a module its
/// target does not declare (an import that only works transitively breaks when a layer is cut).
@Suite struct LayerTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Modules of the toolchain, which no target declares.
    static let toolchainModules: Set<String> = [
        "Foundation", "FoundationEssentials", "FoundationXML", "FoundationNetworking", "Dispatch", "Glibc", "Darwin", "Musl",
        "Synchronization", "Testing", "XCTest",
    ]

    struct Target {
        var name: String
        var type: String
        var directory: URL?
        /// Targets of this package it depends on directly.
        var targets: [String]
        /// Products of other packages it depends on directly (their module has the product's name).
        var products: [String]
    }

    /// The targets of Package.swift, read with `swift package dump-package` under a scratch folder
    /// of its own, so it never waits on the lock of the `swift test` that runs this.
    static func manifestTargets() throws -> [String: Target] {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("switchyard-layers-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let result = try Subprocess.run("/usr/bin/env", ["swift", "package", "--scratch-path", scratch.path, "dump-package"],
                                        directory: root.path, timeout: .seconds(180))
        guard result.status == 0 else { throw ManifestError(description: "swift package dump-package failed: \(result.stderr)") }
        guard let json = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any],
              let entries = json["targets"] as? [[String: Any]] else {
            throw ManifestError(description: "dump-package printed no targets: \(result.stdout.prefix(200))")
        }
        var targets: [String: Target] = [:]
        for entry in entries {
            guard let name = entry["name"] as? String, let type = entry["type"] as? String else { continue }
            var target = Target(name: name, type: type, directory: nil, targets: [], products: [])
            for dependency in entry["dependencies"] as? [[String: Any]] ?? [] {
                if let byName = (dependency["byName"] ?? dependency["target"]) as? [Any], let dep = byName.first as? String {
                    target.targets.append(dep)
                } else if let product = dependency["product"] as? [Any], let dep = product.first as? String {
                    target.products.append(dep)
                }
            }
            if type != "system" {
                let path = entry["path"] as? String ?? (type == "test" ? "Tests/\(name)" : "Sources/\(name)")
                target.directory = root.appendingPathComponent(path)
            }
            targets[name] = target
        }
        return targets
    }

    struct ManifestError: Error, CustomStringConvertible { var description: String }

    static func closure(of name: String, in targets: [String: Target]) -> Set<String> {
        var seen: Set<String> = []
        var stack = targets[name]?.targets ?? []
        while let next = stack.popLast() {
            guard seen.insert(next).inserted else { continue }
            stack += targets[next]?.targets ?? []
        }
        return seen
    }

    /// The modules a Swift file imports (`import X`, `@testable import X`, `import struct X.Y`).
    static func imports(of file: URL) throws -> Set<String> {
        let text = try String(contentsOf: file, encoding: .utf8)
        var modules: Set<String> = []
        for line in text.split(separator: "\n") {
            var words = line.split(separator: " ").filter { !$0.isEmpty }
            while let first = words.first, first.hasPrefix("@") { words.removeFirst() }
            guard words.first == "import", words.count >= 2 else { continue }
            let kinds: Set<Substring> = ["struct", "class", "enum", "protocol", "typealias", "func", "let", "var"]
            let path = words.count >= 3 && kinds.contains(words[1]) ? words[2] : words[1]
            modules.insert(String(path.split(separator: ".").first ?? path))
        }
        return modules
    }

    @Test func theLightLayersLinkNoNativeLibrary() throws {
        let targets = try Self.manifestTargets()
        let heavy: Set<String> = ["COpenBLAS", "CZeroMQ", "CMPI", "SwitchyardKernels", "SwitchyardTransport", "SwitchyardRuntime", "SwitchyardModel"]
        let light = ["SwitchyardCore", "SwitchyardModelConfig", "SwitchyardWire", "SwitchyardCluster", "SwitchyardTopology", "SwitchyardSimulator", "SwitchyardTraffic",
                     "SwitchyardReport"]
        for name in light {
            #expect(targets[name] != nil, "Package.swift has no target \(name)")
            let leaks = Self.closure(of: name, in: targets).intersection(heavy)
            #expect(leaks.isEmpty, "\(name) depends on \(leaks.sorted().joined(separator: ", "))")
        }
        // The check itself sees a heavy closure where there is one.
        #expect(Self.closure(of: "SwitchyardRuntime", in: targets).isSuperset(of: ["COpenBLAS", "CZeroMQ", "CMPI"]))
    }

    @Test func everyImportIsDeclared() throws {
        let targets = try Self.manifestTargets()
        var undeclared: [String] = []
        for target in targets.values.sorted(by: { $0.name < $1.name }) {
            guard let directory = target.directory,
                  let files = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil) else { continue }
            let declared = Set(target.targets + target.products).union(Self.toolchainModules).union([target.name])
            for case let file as URL in files where file.pathExtension == "swift" {
                for module in try Self.imports(of: file).subtracting(declared).sorted() {
                    undeclared.append("\(file.path.dropFirst(Self.root.path.count + 1)) imports \(module), which \(target.name) does not declare")
                }
            }
        }
        #expect(undeclared.isEmpty, "\(undeclared.joined(separator: "\n"))")
        #expect(!targets.isEmpty)
    }
}

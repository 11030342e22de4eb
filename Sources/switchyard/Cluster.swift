import ArgumentParser
import Foundation
import SwitchyardCluster
import SwitchyardModel
import SwitchyardProtocol
import SwitchyardRuntime
import SwitchyardTransport
import SwitchyardModelConfig
import SwitchyardCore

struct Cluster: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Work with cluster files: the coordinator, the expert hosts and the placement.",
        subcommands: [ClusterValidate.self]
    )
}

struct ClusterValidate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check a cluster file and print its hosts, endpoints, devices and experts per host.",
        discussion: """
        Checks every field (docs/CLUSTER.md), then places the model's routed
        experts on the hosts. Errors name the file and the JSON path, such as
        hosts[3].port, and exit 2.

        Example: switchyard cluster validate cluster/local-dgx-b200.json \\
                   --model mistral-small-4
        Default model: mini.
        """
    )

    @Argument(help: "The cluster file (JSON).") var file: String
    @Option(help: "Model preset whose experts are placed: \(ModelPreset.allCases.map(\.rawValue).joined(separator: ", ")).")
    var model = ModelPreset.mini.rawValue

    func validate() throws {
        guard ModelPreset(rawValue: model) != nil else {
            throw ValidationError("--model must be one of \(ModelPreset.allCases.map(\.rawValue).joined(separator: ", ")), got \(model)")
        }
    }

    func run() throws {
        let config = ModelPreset(rawValue: model)!.config
        let spec = try ClusterSpec.load(path: file)
        let placement = try spec.placement(for: config)
        let topologyFound = FileManager.default.fileExists(atPath: spec.topologyPath)
        let facts: [(String, String)] = [
            ("cluster", spec.file),
            ("topology", "\(spec.topology) (\(topologyFound ? "found" : "not found") at \(spec.topologyPath))"),
            ("transport", "\(spec.transport.rawValue), activations as \(spec.payload)"),
            ("model", "\(model): \(config.nRoutedExperts) routed experts on \(config.moeLayerCount) MoE layers, hidden \(config.hiddenSize)"),
            ("placement", "\(spec.placement.name), \(placement.fingerprint)"),
        ] + (spec.hostfilePath.map { [("hostfile", $0)] } ?? []) + (spec.transport == .zmq ? [("security", Self.security(spec))] : [])
        let width = facts.map(\.0.count).max() ?? 0
        for (name, value) in facts { print(name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + value) }
        print()
        var rows = [["coordinator", spec.coordinator.endpoint.description, spec.coordinator.device.description, "", ""]]
        for (index, host) in spec.hosts.enumerated() {
            let experts = placement.experts(of: index)
            rows.append(["host \(index)", host.endpoint.description, host.device.description, String(experts.count), ExpertList.render(experts)])
        }
        print(Table(header: ["role", "endpoint", "device", "experts", "expert ids"], rows: rows, rightAligned: [3]).render())
        let idle = placement.idleHosts
        print("\n\(Plural.count(spec.hosts.count, "expert host")); \(idle.isEmpty ? "every host owns experts" : "host(s) with no experts: \(idle.map(String.init).joined(separator: ", "))")")
        if let warning = spec.plaintextWarning { print(warning) }
    }

    /// How the file's ZeroMQ links are secured (docs/SECURITY.md).
    static func security(_ spec: ClusterSpec) -> String {
        if spec.security == .none { return "none: plaintext, unauthenticated" }
        if let keys = spec.listedKeys {
            return "CURVE, \(keys.coordinator.count) coordinator key(s) and \(keys.hosts.count) host keys listed"
        }
        return spec.hasTCPEndpoints
            ? "CURVE with keys switchyard run makes for each run; expert-host and coordinator by hand need public_key entries (tcp)"
            : "CURVE with keys switchyard run makes for each run; by hand, ipc sockets guarded by file permissions only"
    }
}

/// Expert ids as runs: "0–15", "0, 8, 16, …".
enum ExpertList {
    static func render(_ experts: [Int], maxRuns: Int = 8) -> String {
        var runs: [ClosedRange<Int>] = []
        for expert in experts {
            if let last = runs.last, last.upperBound + 1 == expert {
                runs[runs.count - 1] = last.lowerBound...expert
            } else {
                runs.append(expert...expert)
            }
        }
        let shown = runs.prefix(maxRuns).map { $0.count == 1 ? "\($0.lowerBound)" : "\($0.lowerBound)–\($0.upperBound)" }
        return shown.joined(separator: ", ") + (runs.count > maxRuns ? ", … (\(runs.count - maxRuns) more)" : "")
    }
}

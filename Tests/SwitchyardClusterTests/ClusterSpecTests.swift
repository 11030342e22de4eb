import Foundation
import Testing
@testable import SwitchyardCluster
import SwitchyardModelConfig
import SwitchyardCore

@Suite struct ClusterSpecTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    func preset(_ name: String) throws -> ClusterSpec { try ClusterSpec.load(path: "\(Self.root)/cluster/\(name)") }

    /// A valid zmq file with two hosts, changed by `edit` before parsing.
    func error(_ edit: (inout [String: Any]) -> Void) -> ClusterError? {
        var object: [String: Any] = [
            "topology": "../topologies/dgx-b200.json", "transport": "zmq", "payload": "f32", "placement": "contiguous",
            "coordinator": ["endpoint": "tcp://10.0.0.1:5600", "device": ["node": 0, "gpu": 0]],
            "hosts": [
                ["endpoint": "tcp://10.0.0.2:5601", "device": ["node": 0, "gpu": 0]],
                ["address": "10.0.0.3", "port": 5601, "device": ["node": 0, "gpu": 1]],
            ],
        ]
        edit(&object)
        do {
            _ = try ClusterSpec.decode(JSONSerialization.data(withJSONObject: object), file: "c.json")
            return nil
        } catch let error as ClusterError {
            return error
        } catch {
            Issue.record("unexpected \(error)")
            return nil
        }
    }

    func host(_ index: Int, _ object: inout [String: Any], _ edit: (inout [String: Any]) -> Void) {
        var hosts = object["hosts"] as! [[String: Any]]
        edit(&hosts[index])
        object["hosts"] = hosts
    }

    @Test func localDGXB200() throws {
        let spec = try preset("local-dgx-b200.json")
        #expect(spec.transport == .zmq && spec.payload == .bf16)
        #expect(spec.hosts.count == 8)
        #expect(spec.hosts.map(\.device) == (0..<8).map { DeviceRef(node: 0, gpu: $0) })
        #expect(spec.topology == "../topologies/dgx-b200.json")
        #expect(spec.topologyPath == "\(Self.root)/topologies/dgx-b200.json")
        let placement = try spec.placement(for: ModelPreset.mistralSmall4.config)
        #expect((0..<8).allSatisfy { placement.experts(of: $0).count == 16 })
    }

    @Test func localHGXH100x4() throws {
        let spec = try preset("local-hgx-h100x4.json")
        #expect(spec.hosts.count == 32)
        #expect(Set(spec.hosts.map(\.device)).count == 32)
        #expect(spec.hosts.map(\.device.node) == (0..<4).flatMap { Array(repeating: $0, count: 8) })
        #expect(spec.hosts[0].endpoint == .zmq("tcp://127.0.0.1:5601"))
        #expect(spec.topologyPath.hasSuffix("/topologies/hgx-h100-x4.json"))
        let placement = try spec.placement(for: ModelPreset.mini.config)
        #expect((0..<32).allSatisfy { placement.experts(of: $0).count == 4 })
    }

    @Test func twoNodeExampleUsesMPIRanks() throws {
        let spec = try preset("two-node.example.json")
        #expect(spec.transport == .mpi)
        #expect(spec.coordinator.endpoint == .mpi(rank: 0))
        #expect(spec.hosts.map(\.endpoint) == (1...16).map { .mpi(rank: $0) })
        #expect(spec.hostfilePath == "\(Self.root)/cluster/hosts.example")
        #expect(FileManager.default.fileExists(atPath: spec.hostfilePath!))
    }

    @Test func missingAndWrongTypesNameThePath() {
        #expect(error { $0["transport"] = nil } == ClusterError(file: "c.json", path: "$.transport", problem: "is missing"))
        #expect(error { host(1, &$0) { $0["device"] = nil } } == ClusterError(file: "c.json", path: "$.hosts[1].device", problem: "is missing"))
        #expect(error { host(1, &$0) { $0["port"] = "5601" } } == ClusterError(file: "c.json", path: "$.hosts[1].port", problem: "is a string, expected an integer"))
        #expect(error { host(0, &$0) { $0["device"] = ["node": 0, "gpu": true] } }?.path == "$.hosts[0].device.gpu")
        #expect(error { $0["hosts"] = [] as [Any] }?.path == "$.hosts")
        #expect(error { $0["transport"] = "tcp" }?.problem.contains("zmq, mpi or inproc") == true)
        #expect(error { $0["payload"] = "fp16" }?.path == "$.payload")
    }

    /// One payload type for both directions, or one per direction.
    @Test func payloadsPerDirection() throws {
        func spec(_ payload: Any) throws -> ClusterSpec {
            let object: [String: Any] = [
                "topology": "../topologies/dgx-b200.json", "transport": "inproc", "payload": payload,
                "coordinator": ["device": ["node": 0, "gpu": 0]], "hosts": [["device": ["node": 0, "gpu": 1]]],
            ]
            return try ClusterSpec.decode(JSONSerialization.data(withJSONObject: object), file: "c.json")
        }
        #expect(try spec("fp8").payload == ActivationPayloads(.fp8))
        #expect(try spec(["dispatch": "fp8", "combine": "bf16"]).payload == ActivationPayloads(dispatch: .fp8, combine: .bf16))
        #expect(error { $0["payload"] = ["dispatch": "fp8"] } == ClusterError(file: "c.json", path: "$.payload",
                                                                          problem: "needs both \"dispatch\" and \"combine\" (or one payload type name for both)"))
        #expect(error { $0["payload"] = ["dispatch": "fp8", "combine": "fp4"] } == ClusterError(file: "c.json", path: "$.payload.combine",
                                                                                             problem: "\"fp4\" is not a payload type (f32, bf16 or fp8)"))
        #expect(error { $0["payload"] = ["dispatch": "fp8", "combine": "bf16", "scale": 1] }?.path == "$.payload.scale")
    }

    /// "group-aligned" takes n_group from the model: mini's 8 groups, each on one of 2 nodes' hosts.
    @Test func groupAlignedPlacementUsesTheModelsGroups() throws {
        let hosts = (0..<8).map { ["device": ["node": $0 % 2, "gpu": $0 / 2]] }
        let object: [String: Any] = ["topology": "../topologies/dgx-b200.json", "transport": "inproc", "placement": "group-aligned",
                                     "coordinator": ["device": ["node": 0, "gpu": 7]], "hosts": hosts]
        let spec = try ClusterSpec.decode(JSONSerialization.data(withJSONObject: object), file: "c.json")
        let config = ModelPreset.mini.config
        let placement = try spec.placement(for: config)
        let expertsPerGroup = config.nRoutedExperts / config.nGroup
        for group in 0..<config.nGroup {
            let nodes = Set((group * expertsPerGroup..<(group + 1) * expertsPerGroup).map { spec.hosts[placement.host(of: $0)].device.node })
            #expect(nodes.count == 1)
        }
        #expect(throws: ClusterError.self) { try spec.placement(experts: 128) }
        #expect(error { $0["placement"] = "by-group" }?.problem.contains("group-aligned") == true)
    }

    @Test func unknownKeysAreTyposNotSilence() {
        let typo = error { host(0, &$0) { $0["prot"] = 1 } }
        #expect(typo?.path == "$.hosts[0].prot")
        #expect(error { host(0, &$0) { $0["rank"] = 1 } }?.problem.contains("not used with transport zmq") == true)
        #expect(error { $0["hostfile"] = "hosts" }?.problem == "is only used with transport mpi")
    }

    @Test func portsAndEndpoints() {
        #expect(error { host(1, &$0) { $0["port"] = 70000 } } == ClusterError(file: "c.json", path: "$.hosts[1].port", problem: "70000 is out of range 1...65535"))
        #expect(error { host(0, &$0) { $0["endpoint"] = "tcp://10.0.0.2:0" } }?.path == "$.hosts[0].endpoint")
        #expect(error { host(0, &$0) { $0["endpoint"] = "tcp://10.0.0.2" } }?.problem.contains("has no port") == true)
        #expect(error { host(0, &$0) { $0["endpoint"] = "udp://10.0.0.2:5" } }?.problem.contains("not a ZeroMQ endpoint") == true)
        #expect(error { host(0, &$0) { $0["endpoint"] = "tcp://*:5601" } }?.path == "$.hosts[0].endpoint")
        #expect(error { host(1, &$0) { $0["endpoint"] = "ipc:///tmp/x" } }?.problem.contains("not both") == true)
        #expect(error { host(1, &$0) { $0["port"] = nil } }?.path == "$.hosts[1]")
    }

    @Test func duplicateEndpointsAndDevices() {
        let duplicate = error { host(1, &$0) { $0["address"] = "10.0.0.2" } }
        #expect(duplicate?.path == "$.hosts[1].port")
        #expect(duplicate?.problem == "duplicate endpoint: tcp://10.0.0.2:5601 is already used by hosts[0]")
        #expect(error { host(0, &$0) { $0["endpoint"] = "tcp://10.0.0.1:5600" } }?.problem.contains("already used by coordinator") == true)
        let device = error { host(1, &$0) { $0["device"] = ["node": 0, "gpu": 0] } }
        #expect(device?.path == "$.hosts[1].device")
        #expect(device?.problem.contains("already stands for hosts[0]") == true)
    }

    @Test func mpiRanks() {
        func mpi(_ ranks: [Int], coordinator: Int = 0) -> ClusterError? {
            error {
                $0["transport"] = "mpi"
                $0["coordinator"] = ["rank": coordinator, "device": ["node": 0, "gpu": 0]]
                $0["hosts"] = ranks.enumerated().map { ["rank": $0.element, "device": ["node": 0, "gpu": $0.offset]] }
            }
        }
        #expect(mpi([1, 2, 3]) == nil)
        #expect(mpi([2, 1, 3]) == nil)
        #expect(mpi([1, 2, 2]) == ClusterError(file: "c.json", path: "$.hosts[2].rank", problem: "rank collision: MPI rank 2 is already used by hosts[1]"))
        #expect(mpi([1, 0, 2])?.problem.contains("already used by coordinator") == true)
        #expect(mpi([1, 2, 5])?.path == "$.hosts[2].rank")
        #expect(mpi([1, 2, 3], coordinator: 3)?.path == "$.coordinator.rank")
    }

    @Test func placements() throws {
        #expect(error { $0["placement"] = "round-robin" } == nil)
        #expect(error { $0["placement"] = "striped" }?.path == "$.placement")
        #expect(error { $0["placement"] = ["explicit": [0, 1, 2]] } == ClusterError(file: "c.json", path: "$.placement.explicit[2]", problem: "host 2 does not exist (hosts are 0...1)"))
        // The explicit list's length is checked once the model is known.
        let json = #"{"topology": "t.json", "transport": "inproc", "placement": {"explicit": [0, 1, 1, 0]},"#
            + #" "coordinator": {"device": {"node": 0, "gpu": 0}}, "hosts": [{"device": {"node": 0, "gpu": 0}}, {"device": {"node": 0, "gpu": 1}}]}"#
        let spec = try ClusterSpec.decode(Data(json.utf8), file: "dir/c.json")
        #expect(spec.hosts[1].endpoint == .inproc("inproc://switchyard-host-1"))
        #expect(spec.topologyPath == "dir/t.json")
        #expect(try spec.placement(experts: 4).experts(of: 1) == [1, 2])
        #expect(throws: ClusterError(file: "dir/c.json", path: "$.placement.explicit",
                                     problem: "an explicit placement lists 4 hosts, but the model has 128 experts: give one host per expert")) {
            try spec.placement(for: ModelPreset.tiny.config)
        }
    }

    @Test func relativePathsFoldLexically() {
        #expect(ClusterPaths.resolve("../topologies/a.json", besides: "cluster/c.json") == "topologies/a.json")
        #expect(ClusterPaths.resolve("../topologies/a.json", besides: "c.json") == "../topologies/a.json")
        #expect(ClusterPaths.resolve("a.json", besides: "/x/y/c.json") == "/x/y/a.json")
        #expect(ClusterPaths.resolve("/abs/a.json", besides: "cluster/c.json") == "/abs/a.json")
        #expect(ClusterPaths.resolve("./../../a.json", besides: "/x/c.json") == "/a.json")
    }

    @Test func unreadableAndInvalidFiles() {
        #expect(throws: ClusterError.self) { try ClusterSpec.load(path: "/nonexistent/cluster.json") }
        #expect(throws: ClusterError(file: "c.json", path: "$", problem: "is not valid JSON")) { try ClusterSpec.decode(Data("{".utf8), file: "c.json") }
        #expect(throws: ClusterError(file: "c.json", path: "$", problem: "is an array, expected an object")) {
            try ClusterSpec.decode(Data("[]".utf8), file: "c.json")
        }
    }
}

import Foundation
import Testing
@testable import SwitchyardTopology

/// A valid one-node topology as a JSON object, for tests to break one field at a time.
func validTopology() -> [String: Any] {
    [
        "name": "test",
        "gpu_models": ["G": ["memory": "80 GB", "hbm_bandwidth": "3.35 TB/s", "dense_throughput": ["bf16": "989 TFLOPS", "fp8": 1979]]],
        "nodes": [["name": "node0", "gpu_model": "G", "gpus": 2]],
        "scale_up": ["bandwidth_each_way": "450 GB/s", "latency": "3 us"],
        "scale_out": ["nics_per": "gpu", "nic_count": 1, "nic_bandwidth": "400 Gb/s", "latency": 5, "rail_optimized": true],
    ]
}

func decode(_ object: [String: Any]) throws -> Topology {
    try Topology.decode(JSONSerialization.data(withJSONObject: object), file: "t.json")
}

func topologyError(_ change: (inout [String: Any]) -> Void) -> TopologyError? {
    var object = validTopology()
    change(&object)
    do { _ = try decode(object); return nil } catch let error as TopologyError { return error } catch { return nil }
}

func set(_ object: inout [String: Any], _ path: [String], _ value: Any?) {
    guard let first = path.first else { return }
    if path.count == 1 { object[first] = value; return }
    if var child = object[first] as? [String: Any] {
        set(&child, Array(path.dropFirst()), value)
        object[first] = child
    } else if var array = object[first] as? [[String: Any]], let index = Int(path[1]) {
        set(&array[index], Array(path.dropFirst(2)), value)
        object[first] = array
    }
}

@Suite struct TopologyDecodingTests {
    @Test func readsUnitsIntoSIValues() throws {
        let t = try decode(validTopology())
        let g = try #require(t.gpuModels["G"])
        #expect(g.memoryBytes == 80e9)
        #expect(g.hbmBytesPerSecond == 3.35e12)
        #expect(g.denseFLOPS[.fp8] == 1979e12)   // a bare number is in TFLOPS
        #expect(t.scaleUp.bytesPerSecondEachWay == 450e9)
        #expect(abs(t.scaleUp.latencySeconds - 3e-6) < 1e-15)
        #expect(t.scaleOut?.bytesPerSecondPerNIC == 50e9)   // 400 Gb/s
        #expect(t.devices.map(\.name) == ["node0/gpu0", "node0/gpu1"])
        #expect(t.achievable == .defaults)
        #expect(try QuantityKind.bytes.parse("79.6 GiB") == 79.6 * 1_073_741_824)
    }

    @Test func everyPresetLoads() throws {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("topologies")
        let expected = ["hgx-h100": 8, "hgx-h200": 8, "dgx-b200": 8, "h100-x4": 4, "h200-x2": 2,
                        "hgx-h100-x4": 32, "hgx-h200-x2": 16, "hgx-h200-x4": 32, "dgx-b200-x2": 16]
        #expect(Set(expected.keys) == Set(TopologyPresets.names))
        for (name, gpus) in expected {
            let t = try Topology.load(contentsOf: directory.appendingPathComponent("\(name).json"))
            #expect(t.devices.count == gpus, "\(name)")
            #expect(t.name == name)
        }
        let cluster = try Topology.load(contentsOf: directory.appendingPathComponent("hgx-h100-x4.json"))
        #expect(cluster.nodes.map(\.name) == ["node0", "node1", "node2", "node3"])
        #expect(cluster.devices[31].name == "node3/gpu7" && cluster.devices[31].localIndex == 7)
        for example in ["h800-x8", "mi300x-x8"] {
            _ = try Topology.load(contentsOf: directory.appendingPathComponent("examples/\(example).json"))
        }
    }

    @Test func missingFieldIsNamedWithItsPath() {
        let e = topologyError { set(&$0, ["gpu_models", "G", "memory"], nil) }
        #expect(e == TopologyError(file: "t.json", path: "$.gpu_models.G.memory", problem: "is missing"))
        #expect(topologyError { $0["scale_up"] = nil }?.path == "$.scale_up")
    }

    @Test func wrongTypeIsNamed() {
        let e = topologyError { set(&$0, ["scale_up", "switched"], 1) }
        #expect(e?.path == "$.scale_up.switched")
        #expect(e?.problem == "is a number, expected true or false")
        let gpus = topologyError { set(&$0, ["nodes", "0", "gpus"], "eight") }
        #expect(gpus?.path == "$.nodes[0].gpus" && gpus?.problem.contains("expected an array") == true)
    }

    @Test func wrongUnitIsNamed() {
        let e = topologyError { set(&$0, ["scale_up", "bandwidth_each_way"], "450 GB") }
        #expect(e?.path == "$.scale_up.bandwidth_each_way")
        #expect(e?.problem.contains("wrong unit") == true && e?.problem.contains("GB/s") == true)
    }

    @Test func negativeOrZeroBandwidthIsRejected() {
        let negative = topologyError { set(&$0, ["scale_up", "bandwidth_each_way"], "-450 GB/s") }
        #expect(negative == TopologyError(file: "t.json", path: "$.scale_up.bandwidth_each_way", problem: "must be positive, got \"-450 GB/s\""))
        let zero = topologyError { set(&$0, ["scale_out", "nic_bandwidth"], 0) }
        #expect(zero?.path == "$.scale_out.nic_bandwidth" && zero?.problem == "must be positive, got 0")
    }

    @Test func duplicateDeviceAndNodeNamesAreRejected() {
        let device = topologyError { set(&$0, ["nodes", "0", "gpus"], ["a", "b", "a"]) }
        #expect(device == TopologyError(file: "t.json", path: "$.nodes[0].gpus[2]", problem: "duplicate device name \"node0/a\""))
        let node = topologyError { $0["nodes"] = [["name": "n", "gpu_model": "G", "gpus": 1], ["name": "n", "gpu_model": "G", "gpus": 1]] }
        #expect(node?.path == "$.nodes[1].name" && node?.problem == "duplicate node name \"n\"")
    }

    @Test func emptyNodeIsRejected() {
        let e = topologyError { set(&$0, ["nodes", "0", "gpus"], [String]()) }
        #expect(e == TopologyError(file: "t.json", path: "$.nodes[0].gpus", problem: "node \"node0\" is empty: it has no GPUs"))
        #expect(topologyError { set(&$0, ["nodes", "0", "gpus"], 0) }?.path == "$.nodes[0].gpus")
        #expect(topologyError { $0["nodes"] = [Any]() }?.problem == "is empty: a topology needs at least one node")
    }

    @Test func otherMistakesAreNamed() {
        #expect(topologyError { set(&$0, ["nodes", "0", "gpu_model"], "X") }?.path == "$.nodes[0].gpu_model")
        #expect(topologyError { $0["memory_gb"] = 80 }?.path == "$.memory_gb")
        #expect(topologyError { $0["achievable"] = ["hbm": 1.5] }?.path == "$.achievable.hbm")
        #expect(topologyError { $0["scale_out"] = nil; $0["nodes"] = [["name": "a", "gpu_model": "G", "gpus": 1], ["name": "b", "gpu_model": "G", "gpus": 1]] }?.path == "$.scale_out")
        #expect(topologyError { set(&$0, ["scale_up", "non_blocking"], false) }?.path == "$.scale_up.aggregate_bandwidth")
    }

    @Test func peakFallsBackToWiderFormats() throws {
        let g = try #require(try decode(validTopology()).gpuModels["G"])
        #expect(g.peakFLOPS(.fp4) == 1979e12)
        #expect(g.peakFLOPS(.bf16) == 989e12)
    }
}

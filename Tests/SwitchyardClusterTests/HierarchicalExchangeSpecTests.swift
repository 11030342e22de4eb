import Foundation
import Testing
@testable import SwitchyardCluster
import SwitchyardModelConfig
import SwitchyardCore

/// `"exchange"` and `"relays"` in cluster files, and the placements the relays' two sides see.
@Suite struct HierarchicalExchangeSpecTests {
    /// Four hosts on two nodes, changed by `edit` before parsing.
    func decode(transport: String = "zmq", _ edit: (inout [String: Any]) -> Void = { _ in }) throws -> ClusterSpec {
        var object: [String: Any] = [
            "topology": "../topologies/hgx-h100-x4.json", "transport": transport,
            "coordinator": ["endpoint": "ipc:///tmp/sy-spec/coordinator", "device": ["node": 0, "gpu": 0]],
            "hosts": (0..<4).map { ["endpoint": "ipc:///tmp/sy-spec/host-\($0)", "device": ["node": $0 / 2, "gpu": $0 % 2]] },
        ]
        if transport == "mpi" {
            object["coordinator"] = ["rank": 0, "device": ["node": 0, "gpu": 0]]
            object["hosts"] = (0..<4).map { ["rank": $0 + 1, "device": ["node": $0 / 2, "gpu": $0 % 2]] }
        }
        edit(&object)
        return try ClusterSpec.decode(JSONSerialization.data(withJSONObject: object), file: "c.json")
    }

    func problem(transport: String = "zmq", _ edit: (inout [String: Any]) -> Void) -> String? {
        do {
            _ = try decode(transport: transport, edit)
            return nil
        } catch { return "\(error)" }
    }

    @Test func hostsOnSeveralNodesExchangeHierarchicallyByDefault() throws {
        let spec = try decode()
        #expect(spec.exchange == .hierarchical)
        #expect(spec.relayNodes == [0, 1] && spec.relayOfHost == [0, 0, 1, 1] && spec.hosts(ofRelay: 1) == [2, 3])
        // ipc relays listen beside their node's first host.
        #expect(spec.relays.map(\.endpoint) == [.zmq("ipc:///tmp/sy-spec/relay-0"), .zmq("ipc:///tmp/sy-spec/relay-1")])
        #expect(spec.relays.map(\.device.node) == [0, 1])
        #expect(try decode { $0["exchange"] = "direct" }.exchange == .direct)
        #expect(try decode(transport: "mpi").exchange == .direct)
        let oneNode = try decode { $0["hosts"] = (0..<4).map { ["endpoint": "ipc:///tmp/sy-spec/host-\($0)", "device": ["node": 0, "gpu": $0]] } }
        #expect(oneNode.exchange == .direct && oneNode.relays.isEmpty)
    }

    /// mpirun starts no relays: the default becomes direct for MPI ranks; a file that asks for relays is refused.
    @Test func overMPITheDefaultIsDirect() throws {
        let defaulted = try #require(try decode().overMPI)
        #expect(defaulted.exchange == .direct && defaulted.relays.isEmpty)
        #expect(try decode { $0["exchange"] = "hierarchical" }.overMPI == nil)
        #expect(try decode { $0["exchange"] = "direct" }.overMPI?.exchange == .direct)
    }

    @Test func relaysAreListedOnePerNodeInOrder() throws {
        let listed = try decode {
            $0["relays"] = [["endpoint": "tcp://10.0.0.1:5700", "device": ["node": 0, "gpu": 1]],
                            ["address": "10.0.0.2", "port": 5700, "device": ["node": 1, "gpu": 0]]]
        }
        #expect(listed.relays.map(\.endpoint) == [.zmq("tcp://10.0.0.1:5700"), .zmq("tcp://10.0.0.2:5700")])
        #expect(problem { $0["relays"] = [["endpoint": "tcp://10.0.0.1:5700", "device": ["node": 0, "gpu": 0]]] }?
            .contains("$.relays: lists 1 relays; the hosts span 2 nodes (0, 1)") == true)
        #expect(problem {
            $0["relays"] = [["endpoint": "tcp://10.0.0.1:5700", "device": ["node": 1, "gpu": 0]],
                            ["endpoint": "tcp://10.0.0.2:5700", "device": ["node": 0, "gpu": 0]]]
        }?.contains("$.relays[0].device: relay 0 serves node 0") == true)
        #expect(problem {
            $0["relays"] = [["endpoint": "ipc:///tmp/sy-spec/host-0", "device": ["node": 0, "gpu": 0]],
                            ["endpoint": "tcp://10.0.0.2:5700", "device": ["node": 1, "gpu": 0]]]
        }?.contains("duplicate endpoint") == true)
    }

    @Test func whatCannotWorkIsRefusedByName() {
        // tcp hosts on two nodes: where a relay listens is the file's to say.
        let tcp = problem { $0["hosts"] = (0..<4).map { ["endpoint": "tcp://10.0.0.\($0 / 2 + 2):\(5601 + $0)", "device": ["node": $0 / 2, "gpu": $0 % 2]] } }
        #expect(tcp?.contains("hierarchical by default and needs \"relays\"") == true, "\(tcp ?? "accepted")")
        #expect(tcp?.contains("\"exchange\": \"direct\"") == true)
        #expect(problem(transport: "mpi") { $0["exchange"] = "hierarchical" }?.contains("$.exchange: hierarchical needs relay processes") == true)
        #expect(problem { $0["exchange"] = "ring" }?.contains("\"ring\" is not an exchange (direct or hierarchical)") == true)
        #expect(problem {
            $0["exchange"] = "direct"
            $0["relays"] = [] as [Any]
        }?.contains("$.relays: is only used with \"exchange\": \"hierarchical\"") == true)
    }

    @Test func eachSideOfARelaySeesItsOwnPlacement() throws {
        let spec = try decode { $0["replicas"] = 2 }
        let placement = try spec.placement(experts: 8)
        let (roles, top) = spec.coordinatorPeers(placement)
        #expect(roles == spec.relays && top.hostCount == 2)
        // Replicas were spread over nodes: every expert lives on both nodes, its primary's first.
        for expert in 0..<8 {
            #expect(top.hosts(of: expert) == placement.hosts(of: expert).map { spec.relayOfHost[$0] })
        }
        let view = spec.protocolView(ofHost: 3, placement)
        #expect(view.index == 1 && view.relay == 1 && view.placement.hostCount == 2)
        #expect(view.placement.experts(of: 1) == placement.experts(of: 3))
        #expect(view.placement.experts(of: 0) == placement.experts(of: 2))
        // Without replicas a node lacks the other node's experts: they have no host in its placement.
        let single = try decode().placement(experts: 8)
        let node0 = single.restricted(to: [0, 1])
        #expect(node0.hosts(of: 7).isEmpty && node0.hosts(of: 0) == [0])
        #expect(node0.fingerprint != single.fingerprint)
        let direct = try decode { $0["exchange"] = "direct" }
        #expect(direct.protocolView(ofHost: 3, single).index == 3 && direct.protocolView(ofHost: 3, single).relay == nil)
    }
}

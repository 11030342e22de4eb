import Testing
import SwitchyardCore
import SwitchyardProtocol

/// Experts held by several hosts, and the plan that spreads their pairs over the live ones.
@Suite struct ReplicaPlacementTests {
    @Test(arguments: [2, 3, 4])
    func replicasSitOnDistinctHosts(replicas: Int) throws {
        let placement = try Placement(.contiguous, experts: 128, hosts: 8, replicas: replicas)
        #expect(placement.replicas == replicas)
        for expert in 0..<128 {
            let hosts = placement.hosts(of: expert)
            #expect(hosts.count == replicas && Set(hosts).count == replicas)
            #expect(hosts[0] == placement.host(of: expert))
            for host in hosts { #expect(placement.experts(of: host).contains(expert)) }
        }
        // Every host holds the same share.
        #expect(Set((0..<8).map { placement.experts(of: $0).count }) == [128 * replicas / 8])
        #expect(placement.fingerprint != (try Placement(.contiguous, experts: 128, hosts: 8)).fingerprint)
    }

    @Test func replicasGoToAnotherNodeWhenThereIsOne() throws {
        // Two nodes of four hosts; contiguous placement puts experts 0–63 on node 0.
        let placement = try Placement(.contiguous, experts: 128, hosts: 8, replicas: 2, nodeOfHost: [0, 0, 0, 0, 1, 1, 1, 1])
        for expert in 0..<128 {
            let nodes = placement.hosts(of: expert).map { $0 / 4 }
            #expect(Set(nodes).count == 2, "expert \(expert) on hosts \(placement.hosts(of: expert))")
        }
    }

    @Test func explicitReplicaListsAreChecked() throws {
        let placement = try Placement(.explicitReplicas([[0, 1], [1], [1, 0], [0]]), experts: 4, hosts: 2)
        #expect(placement.hosts(of: 2) == [1, 0])
        #expect(placement.experts(of: 0) == [0, 2, 3])
        #expect(throws: PlacementError.repeatedHost(expert: 0)) { try Placement(.explicitReplicas([[0, 0], [1]]), experts: 2, hosts: 2) }
        #expect(throws: PlacementError.noHostForExpert(expert: 1)) { try Placement(.explicitReplicas([[0], []]), experts: 2, hosts: 2) }
        #expect(throws: PlacementError.replicasOutOfRange(replicas: 3, hosts: 2)) { try Placement(.contiguous, experts: 2, hosts: 2, replicas: 3) }
    }

    @Test func theLoadOfAnExpertIsSplitOverItsReplicas() throws {
        let placement = try Placement(.explicitReplicas([[0, 1], [2], [3]]), experts: 3, hosts: 4)
        // Eight tokens all choose expert 0 (and one other).
        let routing = RoutingDecision(tokenCount: 8, topK: 2, experts: (0..<8).flatMap { [Int32(0), Int32(1 + $0 % 2)] },
                                      weights: [Float](repeating: 0.5, count: 16))
        let plan = try DispatchPlan(routing: routing, placement: placement)
        #expect(plan.hosts[0].pairCount == 4 && plan.hosts[1].pairCount == 4)
        #expect(try DispatchPlan(routing: routing, placement: placement) == plan, "deterministic")
        // With host 0 lost, host 1 takes every pair of expert 0; with both lost, nothing can.
        let survivors = try DispatchPlan(routing: routing, placement: placement, excluding: [0])
        #expect(survivors.hosts[0].pairCount == 0 && survivors.hosts[1].pairCount == 8)
        #expect(throws: DispatchPlanError.noLiveReplica(expert: 0, token: 0)) {
            try DispatchPlan(routing: routing, placement: placement, excluding: [0, 1])
        }
        // A lost host's pairs, planned again, reach the same (token, expert, weight) triples.
        let again = try DispatchPlan(tokenCount: 8, topK: 2, pairs: plan.pairs(of: 0), placement: placement, excluding: [0])
        #expect(again.pairs(of: 1) == plan.pairs(of: 0))
    }
}

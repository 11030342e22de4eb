import Testing
import SwitchyardProtocol
import SwitchyardRuntime
import SwitchyardCore

@Suite struct PlacementTests {
    func checkEveryExpertOnce(_ placement: Placement) {
        let owned = (0..<placement.hostCount).flatMap { placement.experts(of: $0) }
        #expect(owned.sorted() == Array(0..<placement.expertCount))
        for host in 0..<placement.hostCount {
            #expect(placement.experts(of: host) == placement.experts(of: host).sorted())
            for expert in placement.experts(of: host) { #expect(placement.host(of: expert) == host) }
        }
    }

    @Test(arguments: [1, 2, 8, 32])
    func contiguous128(hosts: Int) throws {
        let placement = try Placement(.contiguous, experts: 128, hosts: hosts)
        checkEveryExpertOnce(placement)
        let share = 128 / hosts
        for host in 0..<hosts { #expect(placement.experts(of: host) == Array(host * share..<(host + 1) * share)) }
        #expect(placement.idleHosts.isEmpty)
    }

    @Test(arguments: [1, 2, 8, 32])
    func roundRobin128(hosts: Int) throws {
        let placement = try Placement(.roundRobin, experts: 128, hosts: hosts)
        checkEveryExpertOnce(placement)
        for expert in 0..<128 { #expect(placement.host(of: expert) == expert % hosts) }
        #expect(placement.experts(of: hosts - 1).count == 128 / hosts)
    }

    @Test func sixteenExpertsOverThreeHostsSpreadTheRemainderToTheFirstHosts() throws {
        let contiguous = try Placement(.contiguous, experts: 16, hosts: 3)
        checkEveryExpertOnce(contiguous)
        #expect(contiguous.experts(of: 0) == Array(0...5))
        #expect(contiguous.experts(of: 1) == Array(6...10))
        #expect(contiguous.experts(of: 2) == Array(11...15))
        let roundRobin = try Placement(.roundRobin, experts: 16, hosts: 3)
        checkEveryExpertOnce(roundRobin)
        #expect(roundRobin.experts(of: 0) == [0, 3, 6, 9, 12, 15])
        #expect(roundRobin.experts(of: 1) == [1, 4, 7, 10, 13])
        #expect(roundRobin.experts(of: 2) == [2, 5, 8, 11, 14])
    }

    @Test func moreHostsThanExpertsLeavesSomeIdle() throws {
        let placement = try Placement(.contiguous, experts: 4, hosts: 6)
        checkEveryExpertOnce(placement)
        #expect(placement.idleHosts == [4, 5])
    }

    @Test func explicitIsValidated() throws {
        let assignment = [2, 2, 0, 0, 2, 0]
        let placement = try Placement(.explicit(assignment), experts: 6, hosts: 4)
        checkEveryExpertOnce(placement)
        #expect(placement.experts(of: 2) == [0, 1, 4])
        #expect(placement.idleHosts == [1, 3])
        #expect(placement.assignment == assignment)
        #expect(throws: PlacementError.wrongLength(got: 6, experts: 8)) { try Placement(.explicit(assignment), experts: 8, hosts: 4) }
        #expect(throws: PlacementError.hostOutOfRange(expert: 1, host: 4, hosts: 4)) { try Placement(.explicit([0, 4, 0, 0, 0, 0]), experts: 6, hosts: 4) }
        #expect(throws: PlacementError.hostOutOfRange(expert: 0, host: -1, hosts: 4)) { try Placement(.explicit([-1, 0, 0, 0, 0, 0]), experts: 6, hosts: 4) }
        #expect(throws: PlacementError.noHosts(0)) { try Placement(.contiguous, experts: 6, hosts: 0) }
    }

    @Test func fingerprintFollowsTheAssignmentNotTheStrategy() throws {
        let a = try Placement(.contiguous, experts: 128, hosts: 1)
        let b = try Placement(.roundRobin, experts: 128, hosts: 1)
        let c = try Placement(.contiguous, experts: 128, hosts: 8)
        let d = try Placement(.explicit(c.assignment), experts: 128, hosts: 8)
        #expect(a.fingerprint == b.fingerprint)
        #expect(c.fingerprint == d.fingerprint)
        #expect(a.fingerprint != c.fingerprint)
        #expect(try Placement(.roundRobin, experts: 128, hosts: 8).fingerprint != c.fingerprint)
    }

    /// Each of the router's groups on one node, whatever order the hosts are listed in: a token
    /// limited to topk_group groups reaches at most topk_group nodes.
    @Test(arguments: [[0, 1, 2, 3, 0, 1, 2, 3], [0, 0, 1, 1, 2, 2, 3, 3], [0, 1, 0, 1, 0, 1, 0, 1], [3, 3, 3, 3, 3, 3, 3, 3]])
    func groupAlignedKeepsEachGroupOnOneNode(nodeOfHost: [Int]) throws {
        let placement = try Placement(.groupAligned(groups: 8), experts: 128, hosts: 8, nodeOfHost: nodeOfHost)
        checkEveryExpertOnce(placement)
        for group in 0..<8 {
            let nodes = Set((group * 16..<(group + 1) * 16).map { nodeOfHost[placement.host(of: $0)] })
            #expect(nodes.count == 1, "group \(group) spans nodes \(nodes)")
        }
        // Every host holds a fair share: the node's groups spread over its hosts.
        let nodes = Set(nodeOfHost).count
        let perHost = 128 / 8
        for host in 0..<8 { #expect(placement.experts(of: host).count == perHost, "host \(host) on \(nodes) nodes") }
        // A token choosing 4 groups touches at most 4 nodes; with every group on its own node pair, fewer.
        var random = SplitMix64(seed: 4)
        for _ in 0..<200 {
            var groups = Set<Int>()
            while groups.count < 4 { groups.insert(Int(random.next() % 8)) }
            let experts = groups.map { $0 * 16 + Int(random.next() % 16) }
            #expect(Set(experts.map { nodeOfHost[placement.host(of: $0)] }).count <= min(4, nodes))
        }
    }

    @Test func groupAlignedNeedsGroupsThatDivideTheExperts() {
        #expect(throws: PlacementError.groupsDoNotDivide(groups: 3, experts: 128)) {
            try Placement(.groupAligned(groups: 3), experts: 128, hosts: 8, nodeOfHost: Array(repeating: 0, count: 8))
        }
    }
}

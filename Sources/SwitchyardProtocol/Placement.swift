import SwitchyardModel
import SwitchyardWire

/// Which expert host owns each routed expert (the same slice on every layer).
public struct Placement: Equatable, Sendable {
    public enum Strategy: Equatable, Sendable {
        /// Host h owns experts [h·E/N, (h+1)·E/N); the first E mod N hosts take one more each.
        case contiguous
        /// Expert e lives on host e mod N.
        case roundRobin
        /// `hosts[e]` is expert e's host; hosts may own no experts.
        case explicit([Int])
    }

    public let strategy: Strategy
    public let expertCount: Int
    public let hostCount: Int
    private let hostOfExpert: [Int]
    private let expertsOfHost: [[Int]]

    public init(_ strategy: Strategy, experts: Int, hosts: Int) throws(PlacementError) {
        guard experts > 0 else { throw .noExperts(experts) }
        guard hosts > 0 else { throw .noHosts(hosts) }
        var owner = [Int](repeating: 0, count: experts)
        switch strategy {
        case .contiguous:
            let base = experts / hosts, extra = experts % hosts
            for host in 0..<hosts {
                let start = host * base + min(host, extra)
                let count = base + (host < extra ? 1 : 0)
                for expert in start..<start + count { owner[expert] = host }
            }
        case .roundRobin:
            for expert in 0..<experts { owner[expert] = expert % hosts }
        case let .explicit(assignment):
            guard assignment.count == experts else { throw .wrongLength(got: assignment.count, experts: experts) }
            for (expert, host) in assignment.enumerated() where !(0..<hosts).contains(host) {
                throw .hostOutOfRange(expert: expert, host: host, hosts: hosts)
            }
            owner = assignment
        }
        var owned = [[Int]](repeating: [], count: hosts)
        for (expert, host) in owner.enumerated() { owned[host].append(expert) }
        self.strategy = strategy
        self.expertCount = experts
        self.hostCount = hosts
        self.hostOfExpert = owner
        self.expertsOfHost = owned
    }

    public func host(of expert: Int) -> Int { hostOfExpert[expert] }

    /// The experts `host` owns, ascending.
    public func experts(of host: Int) -> [Int] { expertsOfHost[host] }

    /// The host of every expert, by expert id: the explicit form of any strategy.
    public var assignment: [Int] { hostOfExpert }

    /// Hosts that own no expert (possible when N > E, or by an explicit assignment).
    public var idleHosts: [Int] { (0..<hostCount).filter { expertsOfHost[$0].isEmpty } }

    /// What coordinator and hosts compare in the hello: the assignment itself, digested, so two
    /// strategies that give the same assignment agree.
    public var fingerprint: String {
        var bytes: [UInt8] = []
        for host in hostOfExpert { withUnsafeBytes(of: UInt32(host).littleEndian) { bytes.append(contentsOf: $0) } }
        return "placement-\(expertCount)x\(hostCount)-" + FNV1a64.hex(bytes)
    }
}

public enum PlacementError: Error, Equatable, Sendable, CustomStringConvertible {
    case noExperts(Int)
    case noHosts(Int)
    case wrongLength(got: Int, experts: Int)
    case hostOutOfRange(expert: Int, host: Int, hosts: Int)

    public var description: String {
        switch self {
        case let .noExperts(count): "a placement needs at least one expert, got \(count)"
        case let .noHosts(count): "a placement needs at least one host, got \(count)"
        case let .wrongLength(got, experts): "an explicit placement lists \(got) hosts, but the model has \(experts) experts: give one host per expert"
        case let .hostOutOfRange(expert, host, hosts): "expert \(expert) is placed on host \(host), but hosts are 0...\(hosts - 1)"
        }
    }
}

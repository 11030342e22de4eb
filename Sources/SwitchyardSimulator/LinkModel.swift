import SwitchyardTopology

/// The ports a topology's traffic passes through, and the ports on the path of every
/// source–destination pair. A port serializes everything that crosses it.
public struct LinkModel: Sendable {
    public struct Port: Sendable, Equatable {
        public enum Kind: String, Sendable { case scaleUp = "scale-up", scaleOut = "scale-out" }
        public var name: String
        public var kind: Kind
        /// Achievable bytes per second: the peak times the topology's fraction.
        public var capacity: Double
        /// Fixed seconds per message and per token record through the port.
        public var costs: TransferCosts = .none

        /// Seconds the port is busy with `bytes` in `messages` messages carrying `tokens` token records.
        public func seconds(bytes: Double, messages: Double, tokens: Double) -> Double {
            bytes / capacity + messages * costs.messageSeconds + tokens * costs.tokenSeconds
        }
    }

    public let ports: [Port]
    public let deviceCount: Int
    /// CSR layout: pair p = src × deviceCount + dst crosses pathPorts[pathStart[p] ..< pathStart[p + 1]].
    let pathStart: [Int]
    let pathPorts: [Int]
    /// Latency of one message from src to dst, seconds.
    public let latency: [Double]
    /// The same without rail forwarding: another node's GPU is reached NIC to NIC over any rail,
    /// as GPU-initiated per-token messages (DeepEP's low-latency kernels) go.
    let directPathStart: [Int]
    let directPathPorts: [Int]
    public let directLatency: [Double]

    public init(topology: Topology) {
        let devices = topology.devices, a = topology.achievable
        var ports: [Port] = []
        func add(_ name: String, _ kind: Port.Kind, _ capacity: Double) -> Int {
            let costs = kind == .scaleUp ? topology.scaleUp.costs : topology.scaleOut?.costs ?? .none
            ports.append(Port(name: name, kind: kind, capacity: capacity, costs: costs))
            return ports.count - 1
        }
        let fabric = topology.scaleUp
        let fabricRate = fabric.bytesPerSecondEachWay * a.scaleUp
        var fabricOut: [Int] = [], fabricIn: [Int] = []
        var meshLink: [Int: Int] = [:]   // src × count + dst → port, for a full mesh
        var nodeSwitch: [Int] = []
        if fabric.switched {
            for d in devices {
                fabricOut.append(add("\(d.name) \(fabric.name) out", .scaleUp, fabricRate))
                fabricIn.append(add("\(d.name) \(fabric.name) in", .scaleUp, fabricRate))
            }
            if !fabric.nonBlocking, let aggregate = fabric.aggregateBytesPerSecond {
                nodeSwitch = topology.nodes.map { add("\($0.name) switch", .scaleUp, aggregate * a.scaleUp) }
            }
        } else {
            for s in devices {
                let peers = topology.gpuCount(node: s.node) - 1
                for d in devices where d.node == s.node && d.index != s.index {
                    meshLink[s.index * devices.count + d.index] = add("\(s.name)→\(d.name) \(fabric.name)", .scaleUp, fabricRate / Double(peers))
                }
            }
        }
        var nicOut: [Int] = [], nicIn: [Int] = []
        if let net = topology.scaleOut {
            let rate = Double(net.nicCount) * net.bytesPerSecondPerNIC * a.scaleOut
            let owners = net.attachment == .gpu ? devices.map(\.name) : topology.nodes.map(\.name)
            for owner in owners {
                nicOut.append(add("\(owner) NIC out", .scaleOut, rate))
                nicIn.append(add("\(owner) NIC in", .scaleOut, rate))
            }
        }

        func intraNode(_ s: Device, _ d: Device) -> [Int] {
            if !fabric.switched { return [meshLink[s.index * devices.count + d.index]!] }
            return [fabricOut[s.index]] + (nodeSwitch.isEmpty ? [] : [nodeSwitch[s.node]]) + [fabricIn[d.index]]
        }
        func routes(forwarding: Bool) -> (start: [Int], path: [Int], latency: [Double]) {
            var start = [0], path: [Int] = [], latency: [Double] = []
            for s in devices {
                for d in devices {
                    if s.index == d.index, topology.nodes[s.node].sharedCompute != nil {
                        // Processes of one machine: two roles on one "device" still talk through the transport.
                        path += intraNode(s, d)
                        latency.append(fabric.latencySeconds)
                    } else if s.index == d.index {
                        latency.append(0)
                    } else if s.node == d.node {
                        path += intraNode(s, d)
                        latency.append(fabric.latencySeconds)
                    } else if let net = topology.scaleOut {
                        if net.attachment == .node {
                            path += [nicOut[s.node], nicIn[d.node]]
                            latency.append(net.latencySeconds)
                        } else if forwarding, net.railOptimized, s.localIndex != d.localIndex,
                                  let relay = devices.first(where: { $0.node == d.node && $0.localIndex == s.localIndex }) {
                            // Over the source's rail to its peer on the destination node, then over the fabric.
                            path += [nicOut[s.index], nicIn[relay.index]] + intraNode(relay, d)
                            latency.append(net.latencySeconds + fabric.latencySeconds)
                        } else {
                            path += [nicOut[s.index], nicIn[d.index]]
                            latency.append(net.latencySeconds)
                        }
                    } else {
                        latency.append(0)   // unreachable: validation requires a network for several nodes
                    }
                    start.append(path.count)
                }
            }
            return (start, path, latency)
        }
        let forwarded = routes(forwarding: true), direct = routes(forwarding: false)
        self.ports = ports
        self.deviceCount = devices.count
        self.pathStart = forwarded.start
        self.pathPorts = forwarded.path
        self.latency = forwarded.latency
        self.directPathStart = direct.start
        self.directPathPorts = direct.path
        self.directLatency = direct.latency
    }

    /// The ports a message from `source` to `destination` crosses.
    public func path(from source: Int, to destination: Int, direct: Bool = false) -> ArraySlice<Int> {
        let p = source * deviceCount + destination
        return direct ? directPathPorts[directPathStart[p]..<directPathStart[p + 1]] : pathPorts[pathStart[p]..<pathStart[p + 1]]
    }
}

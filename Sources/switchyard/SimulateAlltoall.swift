import SwitchyardLaunch
import ArgumentParser
import SwitchyardSimulator

struct SimulateAlltoall: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alltoall",
        abstract: "Simulate one colocated expert dispatch and combine.",
        // ArgumentParser prints the usage line unwrapped: this one fits 80 columns.
        usage: "switchyard simulate alltoall [<options>] --topology <topology>\n--ranks <ranks> --tokens-per-rank <tokens-per-rank> --hidden <hidden>\n--experts <experts> --topk <topk>",
        discussion: """
        Ranks are the topology's first N GPUs; experts are dealt to them contiguously.
        direct: each token goes once to every rank holding one of its experts (its own
        rank's experts need no transfer); hierarchical: once over the network to each
        other node, then over its fabric, the combine summed per node; low-latency: one
        message per token and expert. Algorithm bandwidth is the most bytes a rank
        sends divided by the time. See docs/SIMULATOR.md.
        Example: switchyard simulate alltoall --topology hgx-h800-x32 --ranks 64 \\
                   --tokens-per-rank 4096 --hidden 7168 --experts 256 --topk 8 \\
                   --dispatch-dtype fp8 --algorithm hierarchical \\
                   --routing node-limited:4
        Defaults: --routing uniform, --algorithm direct, --dispatch-dtype bf16,
        --combine-dtype bf16, --seed 1.
        """
    )

    @Option(help: "A topology file or preset name.") var topology: String
    @Option(help: "GPUs taking part: the topology's first N.") var ranks: Int
    @Option(name: .customLong("tokens-per-rank"), help: "Tokens each rank dispatches.") var tokensPerRank: Int
    @Option(help: "Hidden size: values per token.") var hidden: Int
    @Option(help: "Routed experts in all.") var experts: Int
    @Option(help: "Experts per token.") var topk: Int
    @Option(name: .customLong("dispatch-dtype"), help: "bf16 or fp8 (with one float32 scale per 128 values).") var dispatchDType: DispatchDType = .bf16
    @Option(name: .customLong("combine-dtype"), help: "bf16 or fp32.") var combineDType: CombineDType = .bf16
    @Option(help: "uniform, or node-limited:M (each token's experts on at most M nodes).") var routing: RoutingArgument = .distribution(.uniform)
    @Option(help: "direct, hierarchical or low-latency.") var algorithm: ExchangeAlgorithm = .direct
    @Option(help: "Seed of the routing generator.") var seed: UInt64 = 1
    @Option(help: JSONOption.help) var json: String?

    func validate() throws {
        try FlagBounds.check([("--ranks", ranks, FlagBounds.devices), ("--tokens-per-rank", tokensPerRank, FlagBounds.tokens),
                              ("--hidden", hidden, FlagBounds.hidden), ("--experts", experts, FlagBounds.experts),
                              ("--topk", topk, FlagBounds.experts)])
        guard topk <= experts else { throw ValidationError("--topk \(topk) is more than --experts \(experts)") }
        switch routing {
        case .distribution(.uniform), .nodeLimited: break
        default: throw ValidationError("--routing must be uniform or node-limited:M for simulate alltoall")
        }
    }

    var nodeLimit: Int? { if case let .nodeLimited(m) = routing { m } else { nil } }

    func run() throws {
        let topology = try TopologyArgument.load(self.topology)
        guard ranks <= topology.devices.count else {
            throw SimulatorInputError(description: "--ranks \(ranks) is more than the \(topology.devices.count) GPUs of \(topology.name)")
        }
        if let nodeLimit {
            let nodeOf = topology.devices.map(\.node)
            if let problem = GroupLimit(groupOfExpert: (0..<experts).map { nodeOf[$0 * ranks / experts] }, limit: nodeLimit).problem(topK: topk) {
                throw SimulatorInputError(description: "--routing node-limited:\(nodeLimit): \(problem) over the first \(ranks) GPUs of \(topology.name)")
            }
        }
        let r = AllToAll.simulate(topology: topology, ranks: ranks, tokensPerRank: tokensPerRank, hidden: hidden, experts: experts,
                                  topK: topk, dispatchDType: dispatchDType, combineDType: combineDType, algorithm: algorithm,
                                  nodeLimit: nodeLimit, seed: seed)
        let phases = [("dispatch", dispatchDType.rawValue, r.dispatch, r.dispatchBytesPerRank), ("combine", combineDType.rawValue, r.combine, r.combineBytesPerRank)]
        let routingName = nodeLimit.map { "node-limited:\($0)" } ?? "uniform"
        let object = phases.map { name, dtype, time, sent in
                ["phase": name, "algorithm": algorithm.rawValue, "routing": routingName,
                 "nodes_per_token": r.spread.nodesPerToken, "devices_per_token": r.spread.devicesPerToken, "dtype": dtype, "seconds": time.seconds, "latency_seconds": time.latencySeconds,
                 "max_bytes_per_rank": sent.max() ?? 0, "mean_bytes_per_rank": sent.reduce(0, +) / Double(ranks),
                 "algorithm_bandwidth_bytes_per_second": time.seconds > 0 ? (sent.max() ?? 0) / time.seconds : 0,
                 "busiest_link": time.busiestPort.map { r.ports[$0].name } ?? "",
                 "busiest_link_bandwidth_bytes_per_second": time.busiestPortBandwidth] as [String: Any]
        }
        if try JSONOption.write(object, to: json) { return }
        print("\(topology.name): \(ranks) ranks × \(tokensPerRank) tokens, hidden \(hidden), \(experts) experts, top-\(topk), \(routingName) routing, \(algorithm.rawValue) exchange")
        print(String(format: "a token reaches %.2f nodes and %.2f GPUs on average (its own included), at most %d nodes",
                     r.spread.nodesPerToken, r.spread.devicesPerToken, r.spread.mostNodesOfAToken))
        print(Table(header: ["phase", "dtype", "time", "latency part", "max bytes/rank", "algbw", "busiest link", "its bandwidth"], rows: phases.map { name, dtype, time, sent in
            let most = sent.max() ?? 0
            return [name, dtype, Format.seconds(time.seconds), Format.seconds(time.latencySeconds), Format.bytes(most),
                    Format.rate(time.seconds > 0 ? most / time.seconds : 0), time.busiestPort.map { r.ports[$0].name } ?? "–",
                    Format.rate(time.busiestPortBandwidth)]
        }, rightAligned: [2, 3, 4, 5, 7]).render())
    }
}

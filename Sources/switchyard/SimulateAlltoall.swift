import ArgumentParser
import SwitchyardSimulator

struct SimulateAlltoall: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alltoall",
        abstract: "Simulate one colocated expert dispatch and combine with uniform routing.",
        discussion: """
        Ranks are the topology's first N GPUs; experts are dealt to them contiguously; each token goes
        once to every rank holding one of its experts (its own rank's experts need no transfer).
        Algorithm bandwidth is the bytes a rank sends divided by the time.
        Example: switchyard simulate alltoall --topology hgx-h100-x4 --ranks 32 --tokens-per-rank 128 --hidden 4096 --experts 128 --topk 4 --dispatch-dtype fp8
        Defaults: --dispatch-dtype bf16, --combine-dtype bf16, --seed 1.
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
    @Option(help: "Seed of the routing generator.") var seed: UInt64 = 1
    @Flag(help: "Print JSON instead of a table.") var json = false

    func validate() throws {
        try FlagBounds.check([("--ranks", ranks, FlagBounds.devices), ("--tokens-per-rank", tokensPerRank, FlagBounds.tokens),
                              ("--hidden", hidden, FlagBounds.hidden), ("--experts", experts, FlagBounds.experts),
                              ("--topk", topk, FlagBounds.experts)])
        guard topk <= experts else { throw ValidationError("--topk \(topk) is more than --experts \(experts)") }
    }

    func run() throws {
        let topology = try TopologyArgument.load(self.topology)
        guard ranks <= topology.devices.count else {
            throw SimulatorInputError(description: "--ranks \(ranks) is more than the \(topology.devices.count) GPUs of \(topology.name)")
        }
        let r = AllToAll.simulate(topology: topology, ranks: ranks, tokensPerRank: tokensPerRank, hidden: hidden, experts: experts,
                                  topK: topk, dispatchDType: dispatchDType, combineDType: combineDType, seed: seed)
        let phases = [("dispatch", dispatchDType.rawValue, r.dispatch, r.dispatchBytesPerRank), ("combine", combineDType.rawValue, r.combine, r.combineBytesPerRank)]
        if json {
            return try printJSON(phases.map { name, dtype, time, sent in
                ["phase": name, "dtype": dtype, "seconds": time.seconds, "latency_seconds": time.latencySeconds,
                 "max_bytes_per_rank": sent.max() ?? 0, "mean_bytes_per_rank": sent.reduce(0, +) / Double(ranks),
                 "algorithm_bandwidth_bytes_per_second": time.seconds > 0 ? (sent.max() ?? 0) / time.seconds : 0,
                 "busiest_link": time.busiestPort.map { r.ports[$0].name } ?? "",
                 "busiest_link_bandwidth_bytes_per_second": time.busiestPortBandwidth] as [String: Any]
            })
        }
        print("\(topology.name): \(ranks) ranks × \(tokensPerRank) tokens, hidden \(hidden), \(experts) experts, top-\(topk), uniform routing")
        print(Table(header: ["phase", "dtype", "time", "latency part", "max bytes/rank", "algbw", "busiest link", "its bandwidth"], rows: phases.map { name, dtype, time, sent in
            let most = sent.max() ?? 0
            return [name, dtype, Format.seconds(time.seconds), Format.seconds(time.latencySeconds), Format.bytes(most),
                    Format.rate(time.seconds > 0 ? most / time.seconds : 0), time.busiestPort.map { r.ports[$0].name } ?? "–",
                    Format.rate(time.busiestPortBandwidth)]
        }, rightAligned: [2, 3, 4, 5, 7]).render())
    }
}

import ArgumentParser
import Foundation
import SwitchyardModel
import SwitchyardReport
import SwitchyardSimulator
import SwitchyardTopology
import SwitchyardCore

struct SimulateStep: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "step",
        abstract: "Simulate decode or prefill steps: step time, its breakdown, throughput, the bottleneck, traffic per link.",
        // ArgumentParser prints the usage line unwrapped: this one fits 80 columns.
        usage: "switchyard simulate step [<options>] --model <model>\n--topology <topology>",
        discussion: """
        The default subcommand of `simulate`.
        Example: switchyard simulate --model mistral-small-4 --topology hgx-h100-x4 \\
                   --phase decode --batch 256 --routing zipf:1.1 --report out
        Defaults: --mode disaggregated with 1 coordinator GPU, --placement
        contiguous, --context 8192, --routing uniform, --algorithm direct,
        --weights fp8, --dispatch-dtype bf16, --combine-dtype bf16, --overlap none,
        --steps 1, --seed 1.
        """
    )

    @Option(help: "A model preset (mistral-small-4, mini, tiny) or a config.json.") var model: String
    @Option(help: "A topology file or preset name (see topologies/); with --cluster, the cluster file's topology when left out.") var topology: String?
    @OptionGroup var deploymentOptions: DeploymentOptions
    @Option(help: "decode or prefill (not needed with --routing trace:FILE).") var phase: Phase?
    @Option(help: "Tokens in a step: sequences at decode, prompt tokens at prefill (not needed with --routing trace:FILE).") var batch: Int?
    @Option(help: "Decode: positions each token attends to. Prefill: prompt length.") var context = 8192
    @Option(help: "Expert choice: uniform or zipf:S (seeded, deterministic); node-limited:M (uniform, each token's experts on at most M nodes, DeepSeek-V3's grouped routing); or trace:FILE, a run's traffic.jsonl (or run directory) whose recorded exchange is timed on --topology.")
    var routing: RoutingArgument = .distribution(.uniform)
    @Option(help: "direct (once to each expert GPU), hierarchical (once to each node over the network, then its fabric; combine summed per node) or low-latency (one message per token and expert).")
    var algorithm: ExchangeAlgorithm = .direct
    @Option(help: "Weight format: bf16, fp8 or nvfp4 (f32: the CPU runtime's float32 weights, for a trace on a calibrated topology).") var weights: WeightFormat = .fp8
    @Option(name: .customLong("kv-dtype"), help: "KV cache format: bf16 or fp8.") var kvDType: KVCacheDType = .bf16
    @Option(name: .customLong("dispatch-dtype"), help: "Activations sent to experts: bf16 or fp8 (with scales).") var dispatchDType: DispatchDType = .bf16
    @Option(name: .customLong("combine-dtype"), help: "Partial sums sent back: bf16 or fp32.") var combineDType: CombineDType = .bf16
    @Option(help: "none, or pingpong (two micro-batches overlap attention and experts).") var overlap: Overlap = .none
    @Option(help: "Steps to simulate (each with fresh routing); figures are averages.") var steps = 1
    @Option(help: "Seed of the routing generator.") var seed: UInt64 = 1
    @Option(help: JSONOption.help) var json: String?
    @Option(help: "Write a self-contained HTML report (timeline and traffic heatmap) into this folder.") var report: String?

    func validate() throws {
        if case .trace = routing {
            guard algorithm == .direct else { throw ValidationError("--algorithm applies to generated routing: --routing trace:FILE replays the messages the run sent") }
            return
        }
        guard let batch, phase != nil else { throw ValidationError("--phase and --batch are required (unless --routing trace:FILE)") }
        try FlagBounds.check([("--batch", batch, FlagBounds.tokens), ("--context", context, FlagBounds.context)])
        guard (1...100_000).contains(steps) else { throw ValidationError("--steps must be in 1...100000, got \(steps)") }
        // Each step routes every token afresh: bound the work, not just each factor.
        try FlagBounds.checkProduct("--batch × --steps (tokens routed)", [batch, steps], limit: 1 << 26)
    }

    func run() throws {
        let topology = try TopologyArgument.load(self.topology, cluster: deploymentOptions.cluster)
        let routing: RoutingDistribution, nodeLimit: Int?
        switch self.routing {
        case let .trace(file):
            return try TraceSimulation(file: file, topology: topology, json: json,
                                       footprint: ModelFootprint(config: try ModelArgument.load(model), weights: weights)).run()
        case let .distribution(d): (routing, nodeLimit) = (d, nil)
        case let .nodeLimited(m): (routing, nodeLimit) = (.uniform, m)
        }
        guard let phase, let batch else { return }
        let config = try ModelArgument.load(model)
        let deployment = try deploymentOptions.deployment(topology, experts: config.nRoutedExperts, groups: config.nGroup)
        if let nodeLimit, let problem = deployment.nodeGroups(limit: nodeLimit).problem(topK: config.numExpertsPerTok) {
            throw SimulatorInputError(description: "--routing node-limited:\(nodeLimit): \(problem) on \(topology.name)")
        }
        let options = SimulationOptions(phase: phase, batch: batch, context: context, routing: routing,
                                        dispatchDType: dispatchDType, combineDType: combineDType,
                                        overlap: overlap, steps: steps, seed: seed, nodeLimit: nodeLimit, algorithm: algorithm)
        let result = Simulator(footprint: ModelFootprint(config: config, weights: weights, kvCache: kvDType),
                               deployment: deployment, options: options).run()
        let title = "\(model) on \(topology.name) (\(Plural.count(topology.devices.count, "GPU"))): \(phase.rawValue), batch \(batch), context \(context), "
            + "\(deploymentOptions.summary), \(nodeLimit.map { "node-limited:\($0)" } ?? routing.description) routing, "
            + "\(algorithm.rawValue) exchange, \(weights.rawValue) weights, dispatch \(dispatchDType.rawValue), "
            + "combine \(combineDType.rawValue), overlap \(overlap.rawValue), \(steps) step\(steps == 1 ? "" : "s")"
        let text = SimulationText(result: result, deployment: deployment)
        if let report { try writeReport(result, deployment: deployment, title: title, summary: text.summaryRows, into: report) }
        if try JSONOption.write(text.jsonObject(title: title), to: json) { return }
        print(title)
        print("")
        print(text.render())
        if let report { print("\nreport: \(URL(fileURLWithPath: report).appendingPathComponent("index.html").path)") }
    }

    func writeReport(_ result: SimulationResult, deployment: Deployment, title: String, summary: [(String, String)], into directory: String) throws {
        let folder = URL(fileURLWithPath: directory)
        let html = HTMLReport(result: result, title: title, summary: summary).render()
        try OutputFile.makeDirectory(folder.path)
        try OutputFile.write(html, to: folder.appendingPathComponent("index.html").path)
    }
}

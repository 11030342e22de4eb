import SwitchyardLaunch
import ArgumentParser
import SwitchyardModel
import SwitchyardSimulator
import SwitchyardTopology

struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare topologies side by side: fit, decode and prefill throughput, exchange share, bottleneck.",
        discussion: """
        One row per topology. Decode runs --batch sequences at --context; prefill runs
        --prefill-batch prompt tokens in prompts of --context tokens. Both simulate
        --weights weights.
        Example: switchyard compare --model mistral-small-4 --batch 128 \\
                   hgx-h100 hgx-h200 dgx-b200
        Defaults: --batch 128, --prefill-batch 16384, --context 8192, --weights
        fp8, disaggregated with 1 coordinator GPU, contiguous placement, uniform
        routing, overlap none.
        """
    )

    @Option(help: "A model preset (mistral-small-4, mini, tiny) or a config.json.") var model: String
    @Option(help: "Decode batch: sequences per step.") var batch = 128
    @Option(name: .customLong("prefill-batch"), help: "Prompt tokens per prefill step.") var prefillBatch = 16384
    @Option(help: "Decode context and prompt length.") var context = 8192
    @Option(help: "Weight format simulated: bf16, fp8 or nvfp4.") var weights: WeightFormat = .fp8
    @Option(help: "none or pingpong.") var overlap: Overlap = .none
    @Option(help: "uniform or zipf:S.") var routing: RoutingDistribution = .uniform
    @OptionGroup var deploymentOptions: DeploymentOptions
    @Option(help: JSONOption.help) var json: String?
    @Argument(help: "Topology files or preset names.") var topologies: [String]

    func validate() throws {
        guard !topologies.isEmpty else { throw ValidationError("give at least one topology") }
        try FlagBounds.check([("--batch", batch, FlagBounds.tokens), ("--prefill-batch", prefillBatch, FlagBounds.tokens),
                              ("--context", context, FlagBounds.context)])
    }

    func run() throws {
        let config = try ModelArgument.load(model)
        var rows: [[String]] = [], objects: [[String: Any]] = []
        for name in topologies {
            let topology = try TopologyArgument.load(name)
            let deployment = try deploymentOptions.deployment(topology, experts: config.nRoutedExperts, groups: config.nGroup)
            func fits(_ w: WeightFormat) -> Bool {
                CapacityPlan(footprint: ModelFootprint(config: config, weights: w), deployment: deployment, context: context,
                             reserveBytes: 4 * 1_073_741_824).fits
            }
            let footprint = ModelFootprint(config: config, weights: weights)
            func simulate(_ phase: Phase, _ tokens: Int) -> SimulationResult {
                Simulator(footprint: footprint, deployment: deployment,
                          options: SimulationOptions(phase: phase, batch: tokens, context: context, routing: routing, overlap: overlap)).run()
            }
            let decode = simulate(.decode, batch), prefill = simulate(.prefill, prefillBatch)
            let bf16 = fits(.bf16), fp8 = fits(.fp8)
            rows.append([topology.name, String(topology.devices.count), bf16 ? "yes" : "no", fp8 ? "yes" : "no",
                         String(format: "%.0f", decode.tokensPerSecond), Format.seconds(decode.meanStepSeconds),
                         String(format: "%.0f", prefill.tokensPerSecond), Format.percent(decode.exchangeShare), decode.bottleneck])
            objects.append(["topology": topology.name, "gpus": topology.devices.count, "fits_bf16": bf16, "fits_fp8": fp8,
                            "decode_tokens_per_second": decode.tokensPerSecond, "time_per_output_token_seconds": decode.meanStepSeconds,
                            "prefill_tokens_per_second": prefill.tokensPerSecond, "decode_exchange_share": decode.exchangeShare,
                            "prefill_exchange_share": prefill.exchangeShare, "bottleneck": decode.bottleneck])
        }
        if try JSONOption.write(objects, to: json) { return }
        print("\(model): decode batch \(batch), prefill \(prefillBatch) tokens, context \(context), \(weights.rawValue) weights, \(deploymentOptions.mode.rawValue), overlap \(overlap.rawValue)")
        print(Table(header: ["topology", "GPUs", "fits bf16", "fits fp8", "decode tok/s", "TPOT", "prefill tok/s", "exchange share", "decode bottleneck"],
                    rows: rows, rightAligned: [1, 4, 5, 6, 7]).render())
    }
}

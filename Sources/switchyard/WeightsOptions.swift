import ArgumentParser
import Foundation
import SwitchyardCluster
import SwitchyardLaunch
import SwitchyardModel
import SwitchyardRuntime
import SwitchyardModelConfig

/// Where the weights come from: a preset or config.json with synthetic weights, or a checkpoint.
struct WeightsOptions: ParsableArguments {
    @Option(help: "A preset (mistral-small-4, mini, tiny) or a config.json, with synthetic weights. Default: mini.")
    var model: String?
    @Option(help: "Seed of the synthetic weights.") var seed: UInt64 = 0
    @Option(help: "Number format of the synthetic weights: f32, bf16 or fp8.") var dtype: WeightDType = .f32
    @Option(help: "A checkpoint directory: config.json with model.safetensors or an index of shards.")
    var checkpoint: String?
    @Option(help: "Keep the model's widths but only its first N decoder layers (synthetic weights): e.g. a real-width mistral-small-4 of 2 layers.")
    var layers: Int?

    func validate() throws {
        if model != nil, checkpoint != nil { throw ValidationError("give --model or --checkpoint, not both") }
        if layers != nil, checkpoint != nil { throw ValidationError("--layers makes synthetic weights: give it with --model, not --checkpoint") }
        if let layers { try FlagBounds.check([("--layers", layers, 1...4096)]) }
    }

    var choice: WeightChoice {
        if let checkpoint { return .checkpoint(path: checkpoint) }
        return .synthetic(model: model ?? ModelPreset.mini.rawValue, seed: seed, dtype: dtype, layers: layers)
    }

    func source() throws -> (ModelConfig, WeightSource) { try choice.load() }

    /// Refuses, before allocating, weights that cannot fit in this machine's memory: a config
    /// within every ceiling can still describe terabytes. `localExperts` routed experts per MoE
    /// layer are held here besides the dense part. A checkpoint counts at 2 bytes per value.
    func checkMemory(_ config: ModelConfig, localExperts: Int) throws {
        let count = ParameterCount(config)
        let parameters = count.total - count.routedExperts + count.perRoutedExpert * config.moeLayerCount * localExperts
        let bytesPerValue = checkpoint == nil && dtype == .f32 ? 4 : 2
        let needed = Double(parameters) * Double(bytesPerValue), available = Double(ProcessInfo.processInfo.physicalMemory)
        guard needed <= available else {
            let what = checkpoint.map { "--checkpoint \($0)" } ?? "--model \(model ?? ModelPreset.mini.rawValue)"
            throw ValidationError("\(what): its weights need \(Format.bytes(needed)) in this process (\(parameters) parameters), more than this machine's \(Format.bytes(available)) of memory")
        }
    }

    /// The model, its routed experts held here or, with `cluster`, on that cluster's hosts.
    func load(cluster: OptionalClusterOptions? = nil) throws -> LoadedModel {
        let (config, source) = try source()
        try checkMemory(config, localExperts: cluster?.cluster == nil ? config.nRoutedExperts : 0)
        let weights = try Mistral4Weights(config: config, source: source)
        if let coordinator = try cluster?.launch(weights: self, config: config, source: source) {
            return LoadedModel(model: Mistral4Model(weights: weights), experts: coordinator.experts, expertBytes: 0,
                               fingerprint: source.fingerprint, coordinator: coordinator)
        }
        let experts = try RoutedExpertWeights(config: config, source: source, owned: Array(0..<config.nRoutedExperts))
        return LoadedModel(model: Mistral4Model(weights: weights), experts: LocalExperts(weights: experts, hiddenSize: config.hiddenSize),
                           expertBytes: experts.residentBytes, fingerprint: source.fingerprint, coordinator: nil)
    }
}

/// `--cluster FILE [--transport …]` on commands that otherwise compute in one process.
struct OptionalClusterOptions: ParsableArguments {
    @Option(help: "Compute the routed experts on this cluster's expert hosts, started on this machine.") var cluster: String?
    @Option(help: "Override the cluster file's transport: zmq or inproc.") var transport: ClusterTransport?

    /// Starts the cluster and hands back its expert backend, or nil without --cluster.
    func launch(weights: WeightsOptions, config: ModelConfig, source: WeightSource) throws -> CoordinatorCluster? {
        guard let cluster else { return nil }
        return try CoordinatorCluster.launch(try ClusterSettings(path: cluster, transportOverride: transport), weights: weights.choice,
                                             config: config, source: source)
    }
}

struct LoadedModel {
    let model: Mistral4Model
    let experts: RoutedExpertBackend
    /// Bytes of routed experts held in this process (none when a cluster holds them).
    let expertBytes: Int
    let fingerprint: String
    /// The cluster computing the routed experts, to stop when done.
    let coordinator: CoordinatorCluster?

    var residentBytes: Int { model.weights.residentBytes + expertBytes }
}

/// `--tokens 1,2,3`.
struct TokenList: ExpressibleByArgument {
    let ids: [Int]

    init?(argument: String) {
        let parts = argument.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        let ids = parts.compactMap { Int($0) }
        guard !parts.isEmpty, ids.count == parts.count, ids.allSatisfy({ $0 >= 0 }) else { return nil }
        self.ids = ids
    }
}

extension CheckpointError: InputError {}
extension LaunchInputError: InputError {}

import SwitchyardCore

/// Turns a topology file's JSON into a `Topology`, checking every field as it goes.
enum TopologyReader {
    static func topology(_ root: JSONField, defaultName: String) throws -> Topology {
        _ = try root.object(allowedKeys: ["name", "description", "gpu_models", "nodes", "scale_up", "scale_out", "achievable"])
        let name = try root.optionalMember("name")?.string() ?? defaultName
        let description = try root.optionalMember("description")?.string() ?? ""
        let modelsField = try root.member("gpu_models")
        let modelEntries = try modelsField.object(allowedKeys: modelKeys(modelsField))
        guard !modelEntries.isEmpty else { throw modelsField.fail("is empty: name at least one GPU model") }
        var models: [String: GPUModel] = [:]
        for key in modelEntries.keys.sorted() { models[key] = try gpuModel(try modelsField.member(key), name: key) }

        let nodesField = try root.member("nodes")
        let nodeFields = try nodesField.elements()
        guard !nodeFields.isEmpty else { throw nodesField.fail("is empty: a topology needs at least one node") }
        guard nodeFields.count <= TopologyBounds.nodes.upperBound else {
            throw nodesField.fail("has \(nodeFields.count) nodes, more than the \(TopologyBounds.nodes.upperBound) allowed")
        }
        var nodes: [Node] = []
        var nodeNames: Set<String> = []
        for field in nodeFields {
            let node = try self.node(field, models: models)
            guard nodeNames.insert(node.name).inserted else {
                throw TopologyError(file: field.file, path: "\(field.path).name", problem: "duplicate node name \"\(node.name)\"")
            }
            nodes.append(node)
        }
        let devices = nodes.reduce(0) { $0 + $1.gpuNames.count }
        guard devices <= TopologyBounds.devices.upperBound else {
            throw nodesField.fail("has \(devices) GPUs in all, more than the \(TopologyBounds.devices.upperBound) allowed")
        }
        let scaleOut = try root.optionalMember("scale_out").map(scaleOut)
        if nodes.count > 1, scaleOut == nil {
            throw TopologyError(file: root.file, path: "$.scale_out", problem: "is missing: \(nodes.count) nodes need a scale-out network")
        }
        return Topology(name: name, description: description, gpuModels: models, nodes: nodes,
                        scaleUp: try scaleUp(try root.member("scale_up")), scaleOut: scaleOut,
                        achievable: try root.optionalMember("achievable").map(achievable) ?? .defaults)
    }

    /// Any name is a valid GPU model key.
    private static func modelKeys(_ field: JSONField) -> Set<String> {
        if case let .object(members) = field.value { return Set(members.keys) }
        return []
    }

    static func gpuModel(_ field: JSONField, name: String) throws -> GPUModel {
        _ = try field.object(allowedKeys: ["memory", "hbm_bandwidth", "dense_throughput"])
        let throughputField = try field.member("dense_throughput")
        _ = try throughputField.object(allowedKeys: Set(NumberFormat.allCases.map(\.rawValue)))
        var flops: [NumberFormat: Double] = [:]
        for format in NumberFormat.allCases {
            if let f = throughputField.optionalMember(format.rawValue) { flops[format] = try f.quantity(.throughput) }
        }
        guard flops[.bf16] != nil else { throw TopologyError(file: field.file, path: "\(throughputField.path).bf16", problem: "is missing") }
        return GPUModel(name: name, memoryBytes: try field.member("memory").quantity(.bytes),
                        hbmBytesPerSecond: try field.member("hbm_bandwidth").quantity(.bandwidth), denseFLOPS: flops)
    }

    static func node(_ field: JSONField, models: [String: GPUModel]) throws -> Node {
        _ = try field.object(allowedKeys: ["name", "gpu_model", "gpus", "shared_compute"])
        let name = try field.member("name").string()
        guard !name.isEmpty, !name.contains("/") else { throw field.fail("name must be non-empty and contain no \"/\"") }
        let modelField = try field.member("gpu_model")
        let model = try modelField.string()
        guard models[model] != nil else {
            throw modelField.fail("\"\(model)\" is not in gpu_models (\(models.keys.sorted().joined(separator: ", ")))")
        }
        let gpusField = try field.member("gpus")
        var names: [String]
        if case .number = gpusField.value {
            let count = try gpusField.integer()
            guard count >= 0 else { throw gpusField.fail("must not be negative, got \(count)") }
            guard count <= TopologyBounds.gpusPerNode.upperBound else {
                throw gpusField.fail("must be in \(TopologyBounds.gpusPerNode.lowerBound)...\(TopologyBounds.gpusPerNode.upperBound) GPUs per node, got \(count)")
            }
            names = (0..<count).map { "gpu\($0)" }
        } else {
            let elements = try gpusField.elements()
            guard elements.count <= TopologyBounds.gpusPerNode.upperBound else {
                throw gpusField.fail("lists \(elements.count) GPUs, more than the \(TopologyBounds.gpusPerNode.upperBound) allowed per node")
            }
            names = try elements.map { try $0.string() }
        }
        guard !names.isEmpty else { throw gpusField.fail("node \"\(name)\" is empty: it has no GPUs") }
        var seen: Set<String> = []
        for (i, gpu) in names.enumerated() where !seen.insert(gpu).inserted {
            throw TopologyError(file: field.file, path: "\(gpusField.path)[\(i)]", problem: "duplicate device name \"\(name)/\(gpu)\"")
        }
        let shared = try field.optionalMember("shared_compute").map { f -> SharedCompute in
            _ = try f.object(allowedKeys: ["memory_bandwidth", "throughput", "weight_streaming"])
            return SharedCompute(memoryBytesPerSecond: try f.member("memory_bandwidth").quantity(.bandwidth),
                                 flops: try f.member("throughput").quantity(.throughput),
                                 streaming: try f.optionalMember("weight_streaming").map(weightStreaming))
        }
        return Node(name: name, gpuModel: model, gpuNames: names, sharedCompute: shared)
    }

    static func scaleUp(_ field: JSONField) throws -> ScaleUpFabric {
        _ = try field.object(allowedKeys: ["name", "bandwidth_each_way", "latency", "switched", "non_blocking", "aggregate_bandwidth", "message_cost", "token_cost",
                                           "wake_up"])
        let switched = try field.optionalMember("switched")?.bool() ?? true
        let nonBlocking = try field.optionalMember("non_blocking")?.bool() ?? true
        let aggregate = try field.optionalMember("aggregate_bandwidth")?.quantity(.bandwidth)
        if switched, !nonBlocking, aggregate == nil {
            throw TopologyError(file: field.file, path: "\(field.path).aggregate_bandwidth", problem: "is missing: a blocking switched fabric needs its aggregate bandwidth")
        }
        return ScaleUpFabric(name: try field.optionalMember("name")?.string() ?? "scale-up",
                             bytesPerSecondEachWay: try field.member("bandwidth_each_way").quantity(.bandwidth),
                             latencySeconds: try field.member("latency").quantity(.duration, allowZero: true),
                             switched: switched, nonBlocking: nonBlocking, aggregateBytesPerSecond: aggregate,
                             costs: try costs(field), wakeUp: try field.optionalMember("wake_up").map(wakeUp) ?? .none)
    }

    /// The points of a measured curve (`name`): a list of at least one and at most `bound`'s upper end.
    static func curvePoints(_ field: JSONField, name: String, bound: ClosedRange<Int>) throws -> [JSONField] {
        let entries = try field.elements()
        guard !entries.isEmpty else { throw field.fail("is empty: give at least one point, or leave \(name) out") }
        guard entries.count <= bound.upperBound else { throw field.fail("has \(entries.count) points, more than the \(bound.upperBound) allowed") }
        return entries
    }

    /// `wake_up`: 1 to 32 points `{"idle", "latency", "message_cost"}` (durations; idle positive and
    /// strictly increasing, the costs zero or more).
    static func wakeUp(_ field: JSONField) throws -> WakeUpCosts {
        var points: [WakeUpCosts.Point] = []
        for entry in try curvePoints(field, name: "wake_up", bound: TopologyBounds.wakeUpPoints) {
            _ = try entry.object(allowedKeys: ["idle", "latency", "message_cost"])
            let idleField = try entry.member("idle")
            let idle = try idleField.quantity(.duration)
            if let previous = points.last, idle <= previous.idleSeconds {
                throw idleField.fail("must be longer than the point before's (\(previous.idleSeconds) s): points go by increasing idle time, got \(idleField.value.display)")
            }
            points.append(WakeUpCosts.Point(idleSeconds: idle, latencySeconds: try entry.member("latency").quantity(.duration, allowZero: true),
                                            messageSeconds: try entry.member("message_cost").quantity(.duration, allowZero: true)))
        }
        return WakeUpCosts(points: points)
    }

    /// `weight_streaming`: 1 to 32 points `{"tokens", "memory_bandwidth"}` (tokens an integer in
    /// 1…65536, strictly increasing; a bandwidth).
    static func weightStreaming(_ field: JSONField) throws -> WeightStreaming {
        var points: [WeightStreaming.Point] = []
        for entry in try curvePoints(field, name: "weight_streaming", bound: TopologyBounds.weightStreamingPoints) {
            _ = try entry.object(allowedKeys: ["tokens", "memory_bandwidth"])
            let tokensField = try entry.member("tokens")
            let tokens = try tokensField.integer(in: TopologyBounds.streamingTokens)
            if let previous = points.last, tokens <= previous.tokens {
                throw tokensField.fail("must be more than the point before's (\(previous.tokens)): points go by increasing tokens, got \(tokens)")
            }
            points.append(WeightStreaming.Point(tokens: tokens, bytesPerSecond: try entry.member("memory_bandwidth").quantity(.bandwidth)))
        }
        return WeightStreaming(points: points)
    }

    static func scaleOut(_ field: JSONField) throws -> ScaleOutNetwork {
        _ = try field.object(allowedKeys: ["name", "nics_per", "nic_count", "nic_bandwidth", "latency", "rail_optimized", "message_cost", "token_cost"])
        let perField = try field.member("nics_per")
        guard let attachment = ScaleOutNetwork.Attachment(rawValue: try perField.string()) else {
            throw perField.fail("must be \"gpu\" or \"node\", got \(perField.value.display)")
        }
        let countField = try field.member("nic_count")
        let count = try countField.integer(in: TopologyBounds.nicCount)
        let railOptimized = try field.optionalMember("rail_optimized")?.bool() ?? false
        if railOptimized, attachment == .node {
            throw TopologyError(file: field.file, path: "\(field.path).rail_optimized", problem: "needs nics_per \"gpu\": rails pair each GPU with its own NIC")
        }
        return ScaleOutNetwork(name: try field.optionalMember("name")?.string() ?? "scale-out", attachment: attachment,
                               nicCount: count, bytesPerSecondPerNIC: try field.member("nic_bandwidth").quantity(.bandwidth),
                               latencySeconds: try field.member("latency").quantity(.duration, allowZero: true),
                               railOptimized: railOptimized, costs: try costs(field))
    }

    /// `message_cost` and `token_cost`: durations, zero when absent.
    static func costs(_ field: JSONField) throws -> TransferCosts {
        TransferCosts(messageSeconds: try field.optionalMember("message_cost")?.quantity(.duration, allowZero: true) ?? 0,
                      tokenSeconds: try field.optionalMember("token_cost")?.quantity(.duration, allowZero: true) ?? 0)
    }

    static func achievable(_ field: JSONField) throws -> AchievableFractions {
        _ = try field.object(allowedKeys: ["compute", "hbm", "scale_up", "scale_out"])
        let d = AchievableFractions.defaults
        return AchievableFractions(compute: try field.optionalMember("compute")?.fraction() ?? d.compute,
                                   hbm: try field.optionalMember("hbm")?.fraction() ?? d.hbm,
                                   scaleUp: try field.optionalMember("scale_up")?.fraction() ?? d.scaleUp,
                                   scaleOut: try field.optionalMember("scale_out")?.fraction() ?? d.scaleOut)
    }
}

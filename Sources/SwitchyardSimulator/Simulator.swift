import SwitchyardTopology

/// Simulates forward steps of a MoE model on a deployment: a pure function of its inputs and seed.
public struct Simulator: Sendable {
    public let footprint: ModelFootprint
    public let deployment: Deployment
    public let options: SimulationOptions
    public let links: LinkModel
    public let cost: CostModel

    public init(footprint: ModelFootprint, deployment: Deployment, options: SimulationOptions, links: LinkModel? = nil) {
        self.footprint = footprint
        self.deployment = deployment
        self.options = options
        self.links = links ?? LinkModel(topology: deployment.topology)
        cost = CostModel(footprint: footprint, phase: options.phase, context: options.context)
    }

    public func run() -> SimulationResult {
        let config = footprint.config
        let generator = RoutingGenerator(distribution: options.routing, experts: config.nRoutedExperts,
                                         topK: config.numExpertsPerTok, layers: config.numHiddenLayers, seed: options.seed,
                                         groupLimit: options.nodeLimit.map { deployment.nodeGroups(limit: $0) })
        var state = StepState(simulator: self)
        var stepSeconds: [Double] = []
        for step in 0..<max(1, options.steps) {
            state.scheduler = LaneScheduler()
            state.scheduler.recording = step == 0
            stepSeconds.append(state.runStep(step, generator))
            if step == 0 { state.timeline = state.scheduler.tasks }
        }
        return state.result(stepSeconds: stepSeconds)
    }
}

/// The running totals of a simulation and the scratch buffers its layers reuse.
struct StepState {
    let sim: Simulator
    let deviceCount: Int
    let colocated: Bool
    var scheduler = LaneScheduler()
    var timeline: [TimelineTask] = []
    // Totals over all steps.
    var stageSeconds: [StageKind: Double] = [:]
    var laneSeconds: [Lane: Double] = [:]
    var deviceBusy: [Double]
    var deviceMemoryBound: [Double]
    var dispatch: ExchangeTotals
    var combine: ExchangeTotals
    var pairBytes: [Double]
    var exchangeWall = 0.0
    // Scratch.
    var choices: [Int32] = []
    var expertTokens: [Int]
    var owners: [Int] = []
    var planner: ExchangePlanner
    var portScratch: [Double]

    init(simulator: Simulator) {
        sim = simulator
        deviceCount = simulator.deployment.topology.devices.count
        colocated = simulator.deployment.mode == .colocated
        let pairs = deviceCount * deviceCount, ports = simulator.links.ports.count
        deviceBusy = Array(repeating: 0, count: deviceCount)
        deviceMemoryBound = deviceBusy
        dispatch = ExchangeTotals(devices: deviceCount, ports: ports)
        combine = dispatch
        pairBytes = Array(repeating: 0, count: pairs)
        expertTokens = Array(repeating: 0, count: simulator.footprint.config.nRoutedExperts)
        let options = simulator.options, hidden = simulator.footprint.config.hiddenSize
        planner = ExchangePlanner(links: simulator.links, topology: simulator.deployment.topology, algorithm: options.algorithm,
                                  sizing: MessageSizing(hidden: hidden, dispatch: options.dispatchDType, combine: options.combineDType))
        portScratch = Array(repeating: 0, count: ports)
    }

    /// Tokens of a micro-batch per attention device (token j on device j mod A).
    func split(_ tokens: Int) -> [Int] {
        let devices = sim.deployment.attentionDevices.count
        return (0..<devices).map { tokens / devices + ($0 < tokens % devices ? 1 : 0) }
    }

    /// Runs a kernel on each device of a group; returns the slowest device's time.
    mutating func compute(_ work: [Work], devices: [Int]) -> Double {
        let topology = sim.deployment.topology
        var slowest = 0.0
        for (i, d) in devices.enumerated() {
            let t = Roofline.time(work[i], on: topology.devices[d].model, achievable: topology.achievable)
            deviceBusy[d] += t.seconds
            if t.memoryBound { deviceMemoryBound[d] += t.seconds }
            slowest = max(slowest, t.seconds)
        }
        return slowest
    }

    mutating func record(_ kind: StageKind, _ lane: Lane, _ layer: Int, _ mb: Int, ready: Double, _ seconds: Double) -> Double {
        stageSeconds[kind, default: 0] += seconds
        laneSeconds[lane, default: 0] += seconds
        return scheduler.run(kind, on: lane, layer: layer, microBatch: mb, ready: ready, duration: seconds)
    }

    mutating func runStep(_ step: Int, _ generator: RoutingGenerator) -> Double {
        let config = sim.footprint.config, cost = sim.cost, options = sim.options
        let attention = sim.deployment.attentionDevices, experts = sim.deployment.expertDevices
        let expertLane: Lane = colocated ? .attention : .experts
        let combineLane: Lane = colocated ? .dispatch : .combine
        let prompt = min(options.context, options.batch)
        let microBatches = options.microBatches
        let shares = microBatches.map(split)
        var ready = Array(repeating: 0.0, count: microBatches.count)
        var exchanges: [(Double, Double)] = []
        for layer in 0..<config.numHiddenLayers {
            let moe = config.isMoELayer(layer)
            var routed = Array(repeating: LayerExchange.none, count: microBatches.count)
            var dispatched = ready, afterShared = ready
            // Attention side first for every micro-batch, then the expert side: the issue order
            // that lets one micro-batch's exchange overlap the other's attention.
            for mb in microBatches.indices {
                let share = shares[mb]
                var t = record(.attention, .attention, layer, mb, ready: ready[mb],
                               compute(share.map { cost.attention(tokens: $0, promptLength: prompt) }, devices: attention))
                if moe { t = record(.routing, .attention, layer, mb, ready: t, compute(share.map(cost.router), devices: attention)) }
                afterShared[mb] = record(.shared, .attention, layer, mb, ready: t,
                                         compute(share.map { cost.sharedOrDense(tokens: $0, dense: !moe) }, devices: attention))
                guard moe else { ready[mb] = afterShared[mb]; continue }
                routed[mb] = route(step: step, layer: layer, microBatch: mb, tokens: microBatches[mb], generator: generator)
                dispatched[mb] = record(.dispatch, .dispatch, layer, mb, ready: t, routed[mb].dispatchSeconds)
                exchanges.append((dispatched[mb] - routed[mb].dispatchSeconds, dispatched[mb]))
            }
            guard moe else { continue }
            for mb in microBatches.indices {
                let e = record(.experts, expertLane, layer, mb, ready: dispatched[mb], compute(routed[mb].expertWork, devices: experts))
                let c = record(.combine, combineLane, layer, mb, ready: e, routed[mb].combineSeconds)
                exchanges.append((c - routed[mb].combineSeconds, c))
                ready[mb] = max(c, afterShared[mb])
            }
        }
        var stepEnd = 0.0
        for mb in microBatches.indices {
            // Prefill: one logit per prompt, counted per device as its tokens over the prompt length, rounded up.
            let logits = shares[mb].map { options.phase == .decode ? $0 : ($0 + prompt - 1) / prompt }
            let end = record(.head, .attention, config.numHiddenLayers, mb, ready: ready[mb], compute(logits.map(cost.head), devices: attention))
            stepEnd = max(stepEnd, end)
        }
        exchangeWall += Self.unionLength(exchanges)
        return stepEnd
    }

    /// Total length covered by a set of intervals.
    static func unionLength(_ intervals: [(Double, Double)]) -> Double {
        var total = 0.0, reach = -Double.infinity
        for (start, end) in intervals.sorted(by: { $0.0 < $1.0 }) where end > reach {
            total += end - max(start, reach)
            reach = end
        }
        return total
    }
}

/// One exchange direction (dispatch or combine), per step.
public struct ExchangeSummary: Sendable {
    /// Seconds of the step spent in this exchange (summed over layers and micro-batches).
    public var seconds: Double
    public var latencySeconds: Double
    /// Bytes each device sends in one step.
    public var bytesSentPerDevice: [Double]
    /// Bytes each port carries in one step.
    public var portBytes: [Double]
    /// The port with the most bytes over the step, and those bytes per second of the exchange.
    public var busiestPort: Int?
    public var busiestPortBandwidth: Double
}

/// What a simulated step (averaged over `steps` steps) costs and where its time goes.
public struct SimulationResult: Sendable {
    public var options: SimulationOptions
    public var deviceNames: [String]
    public var ports: [LinkModel.Port]
    public var stepSeconds: [Double]
    /// Seconds per step each kind of work keeps its lane busy.
    public var stageSeconds: [StageKind: Double]
    /// Seconds per step each lane is busy.
    public var laneSeconds: [Lane: Double]
    /// Seconds per step each device computes, and the memory-bound part of it.
    public var deviceBusySeconds: [Double]
    public var deviceMemoryBoundSeconds: [Double]
    public var dispatch: ExchangeSummary
    public var combine: ExchangeSummary
    /// Bytes per step from each device (row) to each device (column), dispatch and combine.
    public var pairBytes: [Double]
    /// Seconds per step during which a dispatch or combine is in flight.
    public var exchangeWallSeconds: Double
    /// The first step's tasks.
    public var timeline: [TimelineTask]
    public var attentionDevices: [Int]
    public var expertDevices: [Int]

    public var meanStepSeconds: Double { stepSeconds.reduce(0, +) / Double(max(1, stepSeconds.count)) }
    public var tokensPerSecond: Double { Double(options.batch) / meanStepSeconds }
    public var tokensPerSecondPerGPU: Double { tokensPerSecond / Double(deviceNames.count) }
    /// Decode: each sequence gets one token a step.
    public var timePerOutputToken: Double? { options.phase == .decode ? meanStepSeconds : nil }
    public var exchangeShare: Double { exchangeWallSeconds / meanStepSeconds }
    public func busyShare(_ device: Int) -> Double { deviceBusySeconds[device] / meanStepSeconds }

    /// The lane with the most busy time, and what limits it.
    public var bottleneck: String {
        let lane = Lane.allCases.max { (laneSeconds[$0] ?? 0) < (laneSeconds[$1] ?? 0) }!
        let share = String(format: "%.0f%%", 100 * (laneSeconds[lane] ?? 0) / meanStepSeconds)
        switch lane {
        case .attention, .experts:
            let group = lane == .attention ? attentionDevices : expertDevices
            let d = group.max { deviceBusySeconds[$0] < deviceBusySeconds[$1] } ?? 0
            let bound = deviceMemoryBoundSeconds[d] > deviceBusySeconds[d] / 2 ? "HBM-bound" : "compute-bound"
            let what = attentionDevices == expertDevices ? "GPU compute" : (lane == .attention ? "attention" : "experts")
            return "\(what) (\(share) of the step busy): \(deviceNames[d]), \(bound)"
        case .dispatch, .combine:
            let sharedLane = attentionDevices == expertDevices
            let summary = lane == .combine || (sharedLane && combine.seconds > dispatch.seconds) ? combine : dispatch
            let name = sharedLane ? "exchange" : (lane == .dispatch ? "dispatch" : "combine")
            if summary.latencySeconds > summary.seconds / 2 { return "\(name) (\(share) of the step busy): message latency" }
            return "\(name) (\(share) of the step busy): \(summary.busiestPort.map { ports[$0].name } ?? "–")"
        }
    }
}

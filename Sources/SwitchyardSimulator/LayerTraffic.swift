/// What routing one micro-batch through one layer costs on the expert side.
struct LayerExchange {
    var dispatchSeconds: Double
    var combineSeconds: Double
    /// Per expert device, in `Deployment.expertDevices` order.
    var expertWork: [Work]

    static let none = LayerExchange(dispatchSeconds: 0, combineSeconds: 0, expertWork: [])
}

/// Per-step totals of one exchange direction.
struct ExchangeTotals {
    var seconds = 0.0
    var latency = 0.0
    var sent: [Double]
    var portBytes: [Double]

    init(devices: Int, ports: Int) {
        sent = Array(repeating: 0, count: devices)
        portBytes = Array(repeating: 0, count: ports)
    }

    mutating func add(_ time: ExchangeTime, pairs: [Double], ports: [Double], devices: Int) {
        seconds += time.seconds
        latency += time.latencySeconds
        for i in ports.indices { portBytes[i] += ports[i] }
        for s in 0..<devices {
            var row = 0.0
            for d in 0..<devices { row += pairs[s * devices + d] }
            sent[s] += row
        }
    }

    func summary(steps: Double, ports: [LinkModel.Port]) -> ExchangeSummary {
        var busiest: Int?, longest = 0.0
        for i in ports.indices where portBytes[i] / ports[i].capacity > longest {
            longest = portBytes[i] / ports[i].capacity
            busiest = i
        }
        return ExchangeSummary(seconds: seconds / steps, latencySeconds: latency / steps,
                               bytesSentPerDevice: sent.map { $0 / steps }, portBytes: portBytes.map { $0 / steps },
                               busiestPort: busiest, busiestPortBandwidth: busiest.map { seconds > 0 ? portBytes[$0] / seconds : 0 } ?? 0)
    }
}

extension StepState {
    /// Routes a micro-batch, counts tokens per expert, plans the exchange with the options'
    /// algorithm, and times the dispatch, the expert GEMMs and the combine.
    /// Token j of micro-batch `mb` is the step's token mb + j × microBatches and runs attention on
    /// attention device j mod A: adding tokens never moves the ones already there.
    mutating func route(step: Int, layer: Int, microBatch mb: Int, tokens: Int, generator: RoutingGenerator) -> LayerExchange {
        let deployment = sim.deployment, owner = deployment.expertOwner, topK = generator.topK
        let sources = deployment.attentionDevices
        let microBatches = sim.options.microBatches.count
        if choices.count < topK { choices = Array(repeating: 0, count: topK); owners = Array(repeating: 0, count: topK) }
        for i in expertTokens.indices { expertTokens[i] = 0 }
        planner.clear()
        for j in 0..<tokens {
            generator.route(step: step, layer: layer, token: mb + j * microBatches, into: &choices, at: 0)
            for k in 0..<topK {
                let expert = Int(choices[k])
                expertTokens[expert] += 1
                owners[k] = owner[expert]
            }
            planner.add(source: sources[j % sources.count], owners: owners[0..<topK])
        }
        let traffic = planner.traffic()
        for p in pairBytes.indices { pairBytes[p] += traffic.dispatch.bytes[p] + traffic.combine.bytes[p] }
        let dispatchTime = sim.links.exchange(traffic.dispatch, portBytes: &portScratch)
        dispatch.add(dispatchTime, pairs: traffic.dispatch.bytes, ports: portScratch, devices: deviceCount)
        let combineTime = sim.links.exchange(traffic.combine, portBytes: &portScratch)
        combine.add(combineTime, pairs: traffic.combine.bytes, ports: portScratch, devices: deviceCount)

        var routed = [Int](repeating: 0, count: deviceCount), active = routed
        for (expert, n) in expertTokens.enumerated() where n > 0 {
            routed[owner[expert]] += n
            active[owner[expert]] += 1
        }
        let work = deployment.expertDevices.map { sim.cost.experts(routedTokens: routed[$0], activeExperts: active[$0]) }
        return LayerExchange(dispatchSeconds: dispatchTime.seconds, combineSeconds: combineTime.seconds, expertWork: work)
    }

    func result(stepSeconds: [Double]) -> SimulationResult {
        let steps = Double(stepSeconds.count), ports = sim.links.ports
        return SimulationResult(
            options: sim.options, deviceNames: sim.deployment.topology.devices.map(\.name), ports: ports,
            stepSeconds: stepSeconds, stageSeconds: stageSeconds.mapValues { $0 / steps },
            laneSeconds: laneSeconds.mapValues { $0 / steps },
            deviceBusySeconds: deviceBusy.map { $0 / steps }, deviceMemoryBoundSeconds: deviceMemoryBound.map { $0 / steps },
            dispatch: dispatch.summary(steps: steps, ports: ports), combine: combine.summary(steps: steps, ports: ports),
            pairBytes: pairBytes.map { $0 / steps }, exchangeWallSeconds: exchangeWall / steps, timeline: timeline,
            attentionDevices: sim.deployment.attentionDevices, expertDevices: sim.deployment.expertDevices)
    }
}

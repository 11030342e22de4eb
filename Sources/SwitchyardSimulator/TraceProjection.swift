import Foundation
import SwitchyardTopology

/// One message of a recorded run, placed on a topology's devices.
public struct TraceMessage: Sendable, Equatable {
    public var exchange: UInt64
    public var step: Int
    public var layer: Int
    public var isDispatch: Bool
    public var sourceDevice: Int
    public var destinationDevice: Int
    public var bytes: Double
    /// (token, expert) pairs a dispatch asks its host to apply: the host's expert work.
    public var slots: Int
    /// Token records (activation rows) the message carries: the topology's token cost.
    public var tokens: Int

    public init(exchange: UInt64, step: Int, layer: Int, isDispatch: Bool, sourceDevice: Int, destinationDevice: Int, bytes: Double,
                slots: Int = 0, tokens: Int = 0) {
        self.slots = slots
        self.tokens = tokens
        self.exchange = exchange
        self.step = step
        self.layer = layer
        self.isDispatch = isDispatch
        self.sourceDevice = sourceDevice
        self.destinationDevice = destinationDevice
        self.bytes = bytes
    }
}

/// The experts' work a dispatch's slots stand for, so a trace's exchange can be timed with the
/// hosts' expert compute between its dispatch and its combine.
public struct TraceExpertWork: Sendable, Equatable {
    /// FLOPs of one (token, expert) pair: 2 · 3 · hidden · moe_intermediate.
    public var flopsPerSlot: Double
    /// Weight bytes of one expert (gate, up and down) in the run's weight format.
    public var bytesPerExpert: Double
    /// Routed experts each host holds (experts × replicas / hosts).
    public var expertsPerHost: Double
    public var format: NumberFormat
    /// The coordinator's shared expert, which it computes over the exchange's tokens while the
    /// routed experts' exchange is in flight: FLOPs a token (2 · 3 · hidden · shared intermediate)
    /// and weight bytes (0: no shared expert).
    public var sharedFlopsPerToken: Double
    public var sharedBytes: Double
    /// Routed experts a token chooses: an exchange's tokens are its slots over this.
    public var expertsPerToken: Int

    public init(flopsPerSlot: Double, bytesPerExpert: Double, expertsPerHost: Double, format: NumberFormat,
                sharedFlopsPerToken: Double = 0, sharedBytes: Double = 0, expertsPerToken: Int = 1) {
        self.flopsPerSlot = flopsPerSlot
        self.bytesPerExpert = bytesPerExpert
        self.expertsPerHost = expertsPerHost
        self.format = format
        self.sharedFlopsPerToken = sharedFlopsPerToken
        self.sharedBytes = sharedBytes
        self.expertsPerToken = max(1, expertsPerToken)
    }

    /// Experts that `slots` pairs touch on a host of `expertsPerHost`, in expectation when each
    /// pair's expert is drawn evenly from them: e · (1 − (1 − 1/e)^s). The ledger counts pairs per
    /// message, not distinct experts.
    public func expertsTouched(slots: Int) -> Double {
        let e = max(1, expertsPerHost)
        return e * (1 - pow(1 - 1 / e, Double(slots)))
    }

    /// The roofline work of a host given `slots` pairs.
    public func work(slots: Int) -> Work {
        Work(flops: Double(slots) * flopsPerSlot, format: format, bytes: expertsTouched(slots: slots) * bytesPerExpert)
    }

    /// Seconds the weights of a device's `slots` pairs take to stream at a node's shared rates: its
    /// touched experts' bytes at `memory_bandwidth`, or with a `weight_streaming` curve each expert
    /// at the rate of the tokens it got (the slots split evenly over the device's experts in
    /// expectation): expertsPerHost · bytesPerExpert · Σ_{k≥1} P(k) / rate(k).
    public func sharedStreamingSeconds(slots: Int, shared: SharedCompute) -> Double {
        guard let curve = shared.streaming else { return work(slots: slots).bytes / shared.memoryBytesPerSecond }
        return max(1, expertsPerHost) * bytesPerExpert * curve.expectedSecondsPerByte(slots: slots, experts: expertsPerHost)
    }

    /// Seconds the hosts of one exchange compute: per device its hosts' work on its roofline; a node
    /// whose devices share a processor (`shared_compute`) takes at least their summed FLOPs at its
    /// shared throughput and their summed weight streaming at its shared rates
    /// (`sharedStreamingSeconds`); the exchange waits for the slowest node. On such a node the
    /// coordinator's shared expert (`coordinatorDevice`), computed during the exchange on the same
    /// cores, joins the sums: the exchange's tokens (its slots over `expertsPerToken`) at
    /// `sharedFlopsPerToken`, and `sharedBytes` streamed at the rate of that many tokens a call. A
    /// coordinator with a processor of its own computes it beside the exchange, charged nothing.
    public func seconds(slotsPerDevice: [Int: Int], topology: Topology, coordinatorDevice: Int? = nil) -> Double {
        var perNode: [Int: (longest: Double, flops: Double, streaming: Double)] = [:]
        for (device, slots) in slotsPerDevice where slots > 0 {
            let d = topology.devices[device], w = work(slots: slots)
            var n = perNode[d.node] ?? (0, 0, 0)
            n.longest = max(n.longest, Roofline.time(w, on: d.model, achievable: topology.achievable).seconds)
            n.flops += w.flops
            if let shared = topology.nodes[d.node].sharedCompute { n.streaming += sharedStreamingSeconds(slots: slots, shared: shared) }
            perNode[d.node] = n
        }
        let slots = slotsPerDevice.values.reduce(0, +)
        if let node = coordinatorDevice.map({ topology.devices[$0].node }), sharedBytes > 0, slots > 0, let shared = topology.nodes[node].sharedCompute {
            let tokens = (slots + expertsPerToken - 1) / expertsPerToken
            var n = perNode[node] ?? (0, 0, 0)
            n.flops += Double(tokens) * sharedFlopsPerToken
            n.streaming += sharedBytes / (shared.streaming?.bytesPerSecond(tokens: Double(tokens)) ?? shared.memoryBytesPerSecond)
            perNode[node] = n
        }
        return perNode.reduce(0.0) { longest, entry in
            var t = entry.value.longest
            if let shared = topology.nodes[entry.key].sharedCompute {
                t = max(t, entry.value.flops / shared.flops, entry.value.streaming)
            }
            return max(longest, t)
        }
    }
}

/// A recorded run's exchanges timed on a topology: each exchange's dispatch, then its combine,
/// through `LinkModel.exchange` with the recorded bytes between the devices the cluster file
/// maps the roles to. Messages between roles on one device cross no link and take no time, except
/// on a node whose devices are processes sharing a CPU (`shared_compute`). An exchange that
/// followed an idle gap (`idleBefore`, read from the run's times) also waits for its processes to
/// wake (the fabric's `wake_up`); back-to-back ones, and every one without a gap given, do not.
public struct TraceProjection: Sendable {
    public var deviceNames: [String]
    /// Bytes per layer replayed (every message, local ones included).
    public var layerBytes: [Int: Double]
    /// Per step: seconds of dispatches and of combines.
    public var stepSeconds: [Int: (dispatch: Double, combine: Double)]
    /// Per step: seconds the hosts computed between dispatch and combine (0 without `expertWork`).
    public var computeSeconds: [Int: Double] = [:]
    /// Per step: seconds the exchanges waited for processes woken after an idle gap.
    public var wakeSeconds: [Int: Double] = [:]
    /// Per exchange: dispatch + expert compute + combine, the span `exchanges in flight` measures.
    public var exchangeSeconds: [UInt64: Double] = [:]
    /// Bytes from each device (row) to each device (column), over the run; local bytes left out.
    public var pairBytes: [Double]
    public var busiestPort: String?

    public var dispatchSeconds: Double { stepSeconds.values.reduce(0) { $0 + $1.dispatch } }
    public var combineSeconds: Double { stepSeconds.values.reduce(0) { $0 + $1.combine } }
    public var expertComputeSeconds: Double { computeSeconds.values.reduce(0, +) }
    public var wakeUpSeconds: Double { wakeSeconds.values.reduce(0, +) }
    /// The run's exchanges in flight, predicted: every exchange's wake-up, dispatch, compute and combine, summed.
    public var inFlightSeconds: Double { exchangeSeconds.values.reduce(0, +) }

    /// `idleBefore`: per exchange, seconds its processes were idle before its dispatch
    /// (`ExchangeSpans.idleSecondsBefore`); an exchange without one is back to back.
    public init(messages: [TraceMessage], topology: Topology, expertWork: TraceExpertWork? = nil, idleBefore: [UInt64: Double] = [:]) {
        let links = LinkModel(topology: topology), n = topology.devices.count
        deviceNames = topology.devices.map(\.name)
        layerBytes = [:]
        stepSeconds = [:]
        pairBytes = Array(repeating: 0, count: n * n)
        var portTotals = Array(repeating: 0.0, count: links.ports.count), scratch: [Double] = []
        var groups: [UInt64: [TraceMessage]] = [:]
        // On a node of processes sharing a CPU, roles on one device are separate processes whose messages cross the transport.
        let sharedDevice = topology.devices.map { topology.nodes[$0.node].sharedCompute != nil }
        for m in messages {
            layerBytes[m.layer, default: 0] += m.bytes
            groups[m.exchange, default: []].append(m)
        }
        for id in groups.keys.sorted() {
            let group = groups[id]!
            var total = 0.0
            if let idle = idleBefore[id] {
                // One process woken per dispatch message that crosses the transport.
                let woken = group.filter { $0.isDispatch && ($0.sourceDevice != $0.destinationDevice || sharedDevice[$0.sourceDevice]) }.count
                let seconds = topology.scaleUp.wakeUp.seconds(idleSeconds: idle, messages: Double(woken))
                wakeSeconds[group[0].step, default: 0] += seconds
                total += seconds
            }
            if let expertWork {
                var slots: [Int: Int] = [:]
                for m in group where m.isDispatch { slots[m.destinationDevice, default: 0] += m.slots }
                let coordinator = group.first { $0.isDispatch }?.sourceDevice
                let seconds = expertWork.seconds(slotsPerDevice: slots, topology: topology, coordinatorDevice: coordinator)
                computeSeconds[group[0].step, default: 0] += seconds
                total += seconds
            }
            for dispatch in [true, false] {
                var traffic = PairTraffic(deviceCount: n)
                for m in group where m.isDispatch == dispatch && (m.sourceDevice != m.destinationDevice || sharedDevice[m.sourceDevice]) {
                    let p = m.sourceDevice * n + m.destinationDevice
                    traffic.bytes[p] += m.bytes
                    traffic.messages[p] += 1
                    traffic.tokens[p] += Double(m.tokens)
                }
                let pairs = traffic.bytes
                let time = links.exchange(traffic, portBytes: &scratch)
                for i in scratch.indices { portTotals[i] += scratch[i] }
                for p in pairs.indices { pairBytes[p] += pairs[p] }
                var s = stepSeconds[group[0].step] ?? (0, 0)
                if dispatch { s.dispatch += time.seconds } else { s.combine += time.seconds }
                stepSeconds[group[0].step] = s
                total += time.seconds
            }
            exchangeSeconds[id] = total
        }
        let busiest = portTotals.indices.max { portTotals[$0] / links.ports[$0].capacity < portTotals[$1] / links.ports[$1].capacity }
        busiestPort = busiest.flatMap { portTotals[$0] > 0 ? links.ports[$0].name : nil }
    }
}

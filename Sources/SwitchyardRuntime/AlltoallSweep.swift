import Foundation
import SwitchyardKernels
import SwitchyardModel
import SwitchyardProtocol
import SwitchyardTransport
import SwitchyardTraffic
import SwitchyardWire
import SwitchyardCore

/// The coordinator's side of the all-to-all benchmark: for each token count, `warmup` untimed and
/// `iterations` timed exchanges, each one dispatch to every host with tokens and the wait for every
/// combine. Routing is uniform and seeded. With several `idleGaps`, each iteration runs one
/// exchange per gap, the coordinator sleeping that long before it (a run's coordinator computes
/// between layers, so its hosts are asleep when the dispatch comes), so every gap's exchanges are
/// spread over the same stretch of time. A row is one (token count, gap): index token index ×
/// gaps + gap index. Records go to `traffic` with the row index as their step (-1 for warm-up
/// exchanges), so `AlltoallRow` can read the sweep back from the ledgers.
public struct AlltoallSweep {
    public var placement: Placement
    public var hidden: Int
    public var topK: Int
    public var payload: ActivationPayloads
    public var tokenCounts: [Int]
    public var iterations: Int
    public var warmup: Int
    public var seed: UInt64 = 1
    public var timeout: Duration = .seconds(60)
    /// Sleeps before each exchange; [0]: back to back.
    public var idleGaps: [Duration] = [.zero]

    public init(placement: Placement, hidden: Int, topK: Int, payload: ActivationPayloads, tokenCounts: [Int], iterations: Int, warmup: Int) {
        self.placement = placement
        self.hidden = hidden
        self.topK = topK
        self.payload = payload
        self.tokenCounts = tokenCounts
        self.iterations = iterations
        self.warmup = warmup
    }

    /// Token counts 1, 2, 4, … up to `tokens` (and `tokens` itself when it is no power of two).
    public static func powersOfTwo(upTo tokens: Int) -> [Int] {
        var counts: [Int] = [], t = 1
        while t < tokens { counts.append(t); t *= 2 }
        return counts + [tokens]
    }

    /// Runs the sweep; returns a note per exchange: when its last dispatch left, and how many
    /// returned values failed the check against `AlltoallEchoRule` (done after every combine is in,
    /// outside the timed span).
    public func run(transport: CoordinatorTransport, traffic: TrafficRecorder) throws -> [AlltoallExchangeNote] {
        let decoder = WireDecoder(limits: WireLimits(layers: 1, experts: placement.expertCount, expertsPerToken: topK, hidden: hidden,
                                                     maxTokens: max(1, tokenCounts.max() ?? 1), maxHosts: max(1024, placement.hostCount)))
        var exchange: UInt64 = 0
        var random = SplitMix64(seed: seed)
        var notes: [AlltoallExchangeNote] = []
        let gaps = idleGaps.isEmpty ? [.zero] : idleGaps
        notes.reserveCapacity(tokenCounts.count * (warmup + iterations) * gaps.count)
        for (index, tokens) in tokenCounts.enumerated() {
            let activations = Self.activations(tokens: tokens, hidden: hidden)
            // Iteration by iteration, one exchange per gap: the gaps take turns.
            for turn in 0..<((warmup + iterations) * gaps.count) {
                let iteration = turn / gaps.count, gap = gaps[turn % gaps.count], row = index * gaps.count + turn % gaps.count
                exchange += 1
                traffic.step = iteration < warmup ? -1 : Int32(row)
                let plan = try DispatchPlan(routing: routing(tokens: tokens, &random), placement: placement)
                let dispatches = plan.dispatchFrames(address: FrameAddress(step: exchange), activations: activations, hidden: hidden, payload: payload)
                let frames = dispatches.map { ($0.host, $0.encoded()) }
                // The coordinator gives up its core, as a run's does while its hosts wait for the next layer.
                if gap > .zero { Thread.sleep(forTimeInterval: Double(gap.components.seconds) + Double(gap.components.attoseconds) * 1e-18) }
                for (dispatch, (host, frame)) in zip(dispatches, frames) {
                    let sent = TrafficClock.now()
                    try transport.send(frame, to: host)
                    traffic.record(TrafficRecord(dispatch, wireBytes: frame.byteCount, slots: plan.hosts[host].pairCount, step: traffic.step,
                                                 sent: ProtocolTime(nanoseconds: sent)))
                }
                let dispatchesLeft = TrafficClock.now()
                var waiting = Set(frames.map(\.0))
                var answers: [Int: Combine] = [:]
                let deadline = ContinuousClock.now + timeout
                while !waiting.isEmpty {
                    guard let message = try transport.receive(timeout: max(.zero, deadline - ContinuousClock.now)) else {
                        throw ClusterFailure("all-to-all: no combine within \(timeout) from host(s) \(waiting.sorted())")
                    }
                    let received = TrafficClock.now()
                    let frame = try message.decode(with: decoder)
                    // Attributed to the link it came over; a header naming another host is dropped, as the session does.
                    guard case let .combine(answer) = frame.body, frame.address.step == exchange, frame.host == message.host,
                          waiting.remove(message.host) != nil else { continue }
                    answers[message.host] = answer
                    traffic.record(TrafficRecord(frame, wireBytes: message.byteCount, slots: plan.hosts[message.host].pairCount, step: traffic.step,
                                                 received: ProtocolTime(nanoseconds: received)))
                }
                notes.append(AlltoallExchangeNote(exchange: exchange, row: row, timed: iteration >= warmup, dispatchesLeftNanos: dispatchesLeft,
                                                  wrongValues: Self.wrongValues(dispatches: dispatches, answers: answers)))
            }
        }
        return notes
    }

    /// Every value of every combine checked against what its host should have answered.
    static func wrongValues(dispatches: [WireFrame], answers: [Int: Combine]) -> Int {
        dispatches.reduce(0) { wrong, frame in
            guard case let .dispatch(dispatch) = frame.body else { return wrong }
            guard let answer = answers[frame.host] else { return wrong + dispatch.activations.rows * dispatch.activations.width }
            return wrong + AlltoallEchoRule.wrongValues(returned: answer, host: frame.host, tokens: dispatch.routes.tokens, dispatched: dispatch.activations)
        }
    }

    /// `tokens × hidden` activations, different in every row and column, each k/64 with |k| < 128:
    /// exact in bf16, so the check compares bits, not tolerances.
    public static func activations(tokens: Int, hidden: Int) -> [Float] {
        (0..<(tokens * hidden)).map { i in
            var x = UInt64(i) &* 0x9E37_79B9_7F4A_7C15
            x ^= x >> 29
            return Float(Int(x % 255) - 127) / 64
        }
    }

    func routing(tokens: Int, _ random: inout SplitMix64) -> RoutingDecision {
        var experts: [Int32] = []
        experts.reserveCapacity(tokens * topK)
        for _ in 0..<tokens {
            var chosen: [Int32] = []
            while chosen.count < topK {
                let e = Int32(random.next() % UInt64(placement.expertCount))
                if !chosen.contains(e) { chosen.append(e) }
            }
            experts += chosen
        }
        return RoutingDecision(tokenCount: tokens, topK: topK, experts: experts, weights: Array(repeating: 1 / Float(topK), count: tokens * topK))
    }
}

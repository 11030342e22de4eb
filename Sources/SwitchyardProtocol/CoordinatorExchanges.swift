import SwitchyardCore
import SwitchyardTraffic
import SwitchyardWire

/// One layer's exchange in flight, or a retry of part of one: the pairs of a lost host sent again
/// to other replicas, whose sums are added into its root's.
struct OpenExchange {
    var combine: CombineAccumulator
    var deadline: ProtocolTime
    var activations: [Float]
    var payload: PayloadType
    /// The exchange this one retries part of; nil for a layer's own exchange.
    var parent: FrameAddress?
    /// Retries of this root still open.
    var openRetries = 0
    /// Sums of retries already answered, `tokens × hidden`.
    var retried: [Float]?
    /// Pairs whose every holder is lost, waiting for one to rejoin, and since when.
    var waiting: [DispatchPlan.Pair] = []
    var waitingSince: ProtocolTime?

    var isComplete: Bool { combine.isComplete && openRetries == 0 && waiting.isEmpty }
}

extension CoordinatorSession {
    /// Plans `routing` over the live hosts, sends each its tokens gathered from `activations`
    /// (`tokens × hidden`) and opens the exchange; its sum comes back as `.deliver` at the
    /// returned address. The plan is returned for the ledger's routing figures.
    public mutating func beginExchange(routing: RoutingDecision, layer: Int, microBatch: Int = 0, activations: [Float],
                                       payload: PayloadType, at now: ProtocolTime) -> (FrameAddress, DispatchPlan?, [Directive]) {
        let address = FrameAddress(step: nextExchange, layer: layer, microBatch: microBatch)
        nextExchange += 1
        guard isReady else { return (address, nil, fail(.other("an exchange began before the handshake completed"))) }
        let plan: DispatchPlan
        do { plan = try DispatchPlan(routing: routing, placement: placement, excluding: Set(lostHosts.keys)) } catch {
            if case let .noLiveReplica(expert, _) = error, let lost = placement.hosts(of: expert).first {
                return (address, nil, fail(.hostLost(host: lost, reason: "\(lostHosts[lost] ?? "lost"); expert \(expert) has no live host")))
            }
            return (address, nil, fail(.other("layer \(layer): \(error)")))
        }
        var open = OpenExchange(combine: CombineAccumulator(plan: plan, hidden: hidden, address: address), deadline: now + settings.exchangeTimeout,
                                activations: activations, payload: payload)
        let directives = dispatch(&open, address: address, at: now)
        exchanges[address] = open
        return (address, plan, directives + finishIfComplete(address))
    }

    /// Sends the dispatches of `open`'s plan and records them.
    private mutating func dispatch(_ open: inout OpenExchange, address: FrameAddress, at now: ProtocolTime) -> [Directive] {
        var directives: [Directive] = []
        let plan = open.combine.plan
        for frame in plan.dispatchFrames(address: address, activations: open.activations, hidden: hidden, payload: open.payload) {
            let encoded = frame.encoded()
            sent(to: frame.host, at: now)
            directives.append(.send(encoded, to: frame.host))
            directives.append(.record(TrafficRecord(frame, wireBytes: encoded.byteCount, slots: plan.hosts[frame.host].pairCount,
                                                    step: workloadStep, sent: now)))
            if open.parent != nil {
                statistics.resentDispatches += 1
                statistics.resentBytes += encoded.byteCount
            }
        }
        return directives
    }

    mutating func combined(_ answer: Combine, frame: WireFrame, wireBytes: Int, at now: ProtocolTime) -> [Directive] {
        let host = frame.host
        guard var open = exchanges[frame.address] else {
            statistics.strayFrames += 1
            return [.log("a combine from host \(host) for \(frame.address), which is not open, dropped")]
        }
        let plan = open.combine.plan
        guard plan.hosts[host].receivesMessage, !open.combine.abandoned.contains(host) else {
            statistics.strayFrames += 1
            return [.log("a combine from host \(host) for \(frame.address), which expects none from it, dropped")]
        }
        guard open.combine.missingHosts.contains(host) else {
            statistics.duplicateFrames += 1
            return [.log("a second combine from host \(host) for \(frame.address), dropped")]
        }
        let directives: [Directive] = [.record(TrafficRecord(frame, wireBytes: wireBytes, slots: plan.hosts[host].pairCount,
                                                             step: workloadStep, received: now))]
        do { try open.combine.receive(host: host, tokens: answer.tokens, partialSums: answer.partialSums.floats) } catch {
            removeExchange(root(of: frame.address))
            return directives + fail(.protocolViolation(host: host, detail: "layer \(frame.address.layer): \(error)"))
        }
        exchanges[frame.address] = open
        return directives + finishIfComplete(frame.address)
    }

    /// Delivers a root whose hosts and retries have all answered; folds a finished retry into its root.
    private mutating func finishIfComplete(_ address: FrameAddress) -> [Directive] {
        guard let open = exchanges[address], open.isComplete else { return [] }
        let sums: [Float]
        do { sums = try open.combine.output() } catch {
            removeExchange(root(of: address))
            return fail(.other("layer \(address.layer): \(error)"))
        }
        exchanges[address] = nil
        if let parent = open.parent {
            guard var root = exchanges[parent] else { return [] }
            root.retried = root.retried.map { zip($0, sums).map(+) } ?? sums
            root.openRetries -= 1
            exchanges[parent] = root
            return finishIfComplete(parent)
        }
        return [.deliver(address, open.retried.map { zip(sums, $0).map(+) } ?? sums)]
    }

    func root(of address: FrameAddress) -> FrameAddress { exchanges[address]?.parent ?? address }

    /// Forgets a root exchange and its retries.
    mutating func removeExchange(_ root: FrameAddress) {
        exchanges = exchanges.filter { $0.key != root && $0.value.parent != root }
    }

    /// Host `host` is known to be gone: the pairs it had not answered go again to other replicas
    /// at once; what has no live replica waits for a rejoin, up to `rejoinWait`.
    public mutating func hostLost(_ host: Int, reason: String, at now: ProtocolTime) -> [Directive] {
        guard (0..<hostCount).contains(host), links[host].lost == nil else { return [] }
        links[host].lost = reason
        links[host].unansweredSince = nil
        links[host].nextHello = now + settings.helloResend
        var directives: [Directive] = [.hostEvent(HostEvent(host: host, kind: .lost(reason: reason), at: now)),
                                       .log("expert host \(host) is lost: \(reason)")]
        if case let .running(_, _, confirmed, _) = handshake, confirmed[host] == nil {
            return directives + fail(.hostLost(host: host, reason: reason))
        }
        for address in openExchanges {
            guard var open = exchanges[address], open.combine.missingHosts.contains(host) else { continue }
            let pairs = open.combine.plan.pairs(of: host)
            open.combine.abandon(host: host)
            exchanges[address] = open
            let rootAddress = root(of: address), before = statistics.resentBytes
            directives += retry(pairs, root: rootAddress, at: now)
            directives.append(.hostEvent(HostEvent(host: host, kind: .failedOver(layer: address.layer, pairs: pairs.count,
                                                                             bytes: statistics.resentBytes - before), at: now)))
            directives += finishIfComplete(address)
        }
        return directives
    }

    /// Sends `pairs` of root exchange `rootAddress` to live replicas as a new retry exchange;
    /// those without one wait in the root.
    private mutating func retry(_ pairs: [DispatchPlan.Pair], root rootAddress: FrameAddress, at now: ProtocolTime) -> [Directive] {
        guard var root = exchanges[rootAddress], !pairs.isEmpty else { return [] }
        let lost = Set(lostHosts.keys)
        let (placeable, stranded) = pairs.reduce(into: ([DispatchPlan.Pair](), [DispatchPlan.Pair]())) { split, pair in
            if placement.hosts(of: pair.expert).contains(where: { !lost.contains($0) }) { split.0.append(pair) } else { split.1.append(pair) }
        }
        if !stranded.isEmpty {
            root.waiting += stranded
            root.waitingSince = root.waitingSince ?? now
        }
        var directives: [Directive] = []
        if !placeable.isEmpty, let plan = try? DispatchPlan(tokenCount: root.combine.plan.tokenCount, topK: root.combine.plan.topK,
                                                             pairs: placeable.sorted { $0.token < $1.token }, placement: placement, excluding: lost) {
            let address = FrameAddress(step: nextExchange, layer: rootAddress.layer, microBatch: rootAddress.microBatch)
            nextExchange += 1
            var retry = OpenExchange(combine: CombineAccumulator(plan: plan, hidden: hidden, address: address), deadline: root.deadline,
                                     activations: root.activations, payload: root.payload, parent: rootAddress)
            directives += dispatch(&retry, address: address, at: now)
            root.openRetries += 1
            exchanges[address] = retry
        }
        exchanges[rootAddress] = root
        return directives
    }

    /// After a rejoin: pairs that waited for a live holder are sent now.
    mutating func retryWaitingPairs(at now: ProtocolTime) -> [Directive] {
        var directives: [Directive] = []
        for address in openExchanges {
            guard var root = exchanges[address], root.parent == nil, !root.waiting.isEmpty else { continue }
            let waiting = root.waiting
            root.waiting = []
            root.waitingSince = nil
            exchanges[address] = root
            directives += retry(waiting, root: address, at: now)
            directives += finishIfComplete(address)
        }
        return directives
    }

    /// Fails roots past their deadline, or whose stranded pairs waited `rejoinWait` in vain.
    mutating func expireExchanges(at now: ProtocolTime) -> [Directive] {
        var directives: [Directive] = []
        for address in openExchanges {
            guard let open = exchanges[address], open.parent == nil else { continue }
            if let since = open.waitingSince, now - since >= settings.rejoinWait, let pair = open.waiting.first {
                removeExchange(address)
                let holders = placement.hosts(of: pair.expert)
                let reasons = holders.map { "host \($0): \(lostHosts[$0] ?? "lost")" }.joined(separator: "; ")
                directives += fail(.hostLost(host: holders[0], reason: "expert \(pair.expert) of layer \(address.layer) has no live host "
                                             + "after waiting \(settings.rejoinWait) for one to come back (\(reasons))"))
            } else if open.deadline <= now {
                let missing = ([address] + exchanges.filter { $0.value.parent == address }.map(\.key))
                    .flatMap { exchanges[$0]?.combine.missingHosts ?? [] }
                removeExchange(address)
                directives += fail(.exchangeTimeout(layer: address.layer, missing: Array(Set(missing)).sorted(), timeout: settings.exchangeTimeout))
            }
        }
        return directives
    }
}

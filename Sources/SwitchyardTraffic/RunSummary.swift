import Foundation
import SwitchyardCore

/// summary.json (docs/TRAFFIC.md): what one run served and moved. Decoding checks every field a
/// reader relies on, so a hand-edited file is an error naming the field, never a trap.
public struct RunSummary: Sendable, Equatable, Codable {
    public struct Model: Sendable, Equatable, Codable {
        public var layers: Int
        public var hidden: Int
        public var experts: Int
        public var expertsPerToken: Int
        public init(layers: Int, hidden: Int, experts: Int, expertsPerToken: Int) {
            self.layers = layers
            self.hidden = hidden
            self.experts = experts
            self.expertsPerToken = expertsPerToken
        }
        enum CodingKeys: String, CodingKey { case layers, hidden, experts, expertsPerToken = "experts_per_token" }
    }

    public struct Host: Sendable, Equatable, Codable {
        public var host: Int
        public var experts: Int
        public var residentBytes: UInt64
        public init(host: Int, experts: Int, residentBytes: UInt64) {
            self.host = host
            self.experts = experts
            self.residentBytes = residentBytes
        }
        enum CodingKeys: String, CodingKey { case host, experts, residentBytes = "resident_bytes" }
    }

    public struct Latency: Sendable, Equatable, Codable {
        public var p50: Double
        public var p99: Double
        public init(p50: Double, p99: Double) {
            self.p50 = p50
            self.p99 = p99
        }
    }

    /// One MoE layer's exchange totals as the coordinator counted them.
    public struct Layer: Sendable, Equatable, Codable {
        public var layer: Int
        public var dispatchMessages: Int
        public var dispatchBytes: Int
        public var combineBytes: Int
        public var tokens: Int
        public init(layer: Int, dispatchMessages: Int, dispatchBytes: Int, combineBytes: Int, tokens: Int) {
            self.layer = layer
            self.dispatchMessages = dispatchMessages
            self.dispatchBytes = dispatchBytes
            self.combineBytes = combineBytes
            self.tokens = tokens
        }
        enum CodingKeys: String, CodingKey {
            case layer, tokens, dispatchMessages = "dispatch_messages", dispatchBytes = "dispatch_bytes", combineBytes = "combine_bytes"
        }
    }

    /// The traffic ledger's aggregates (times as the coordinator saw them).
    public struct Traffic: Sendable, Equatable, Codable {
        public struct Host: Sendable, Equatable, Codable {
            public var host: Int
            public var messages: Int
            public var tokens: Int
            public var expertSlots: Int
            public var dispatchBytes: Int
            public var combineBytes: Int
            enum CodingKeys: String, CodingKey {
                case host, messages, tokens, expertSlots = "expert_slots", dispatchBytes = "dispatch_bytes", combineBytes = "combine_bytes"
            }
        }

        public struct Layer: Sendable, Equatable, Codable {
            public var layer: Int
            public var wireBytes: Int
            public var hostImbalance: Double
            public var expertImbalance: Double
            public var bytesSavedByDeduplication: Int
            enum CodingKeys: String, CodingKey {
                case layer, wireBytes = "wire_bytes", hostImbalance = "host_imbalance", expertImbalance = "expert_imbalance",
                     bytesSavedByDeduplication = "bytes_saved_by_dedup"
            }
        }

        public var messages: Int
        public var wireBytes: Int
        public var dispatchBytes: Int
        public var combineBytes: Int
        public var bytesSavedByDeduplication: Int
        public var intraNodeBytes: Int
        public var interNodeBytes: Int
        public var hostImbalance: Double
        public var expertImbalance: Double
        public var hosts: [Host]
        public var layers: [Layer]
        /// Nodes a token's experts were on, mean and most over every exchange (the coordinator's
        /// ledger records it; absent in summaries written before).
        public var nodesPerTokenMean: Double?
        public var nodesPerTokenMax: Int?

        enum CodingKeys: String, CodingKey {
            case messages, hosts, layers, wireBytes = "wire_bytes", dispatchBytes = "dispatch_bytes", combineBytes = "combine_bytes",
                 bytesSavedByDeduplication = "bytes_saved_by_dedup", intraNodeBytes = "intra_node_bytes", interNodeBytes = "inter_node_bytes",
                 hostImbalance = "host_imbalance", expertImbalance = "expert_imbalance",
                 nodesPerTokenMean = "nodes_per_token_mean", nodesPerTokenMax = "nodes_per_token_max"
        }

        public init(_ t: TrafficSummary) {
            let locality = t.nodeLocality
            messages = t.ledger.records.count
            wireBytes = t.ledger.wireBytes
            dispatchBytes = t.ledger.wireBytes(.dispatch)
            combineBytes = t.ledger.wireBytes(.combine)
            bytesSavedByDeduplication = t.bytesSavedByDeduplication
            intraNodeBytes = locality.intraNode
            interNodeBytes = locality.interNode
            hostImbalance = t.hostImbalance()
            expertImbalance = t.expertImbalance()
            nodesPerTokenMean = t.nodesPerToken?.mean
            nodesPerTokenMax = t.nodesPerToken?.max
            hosts = t.hostLoad.map {
                Host(host: $0.host, messages: $0.messages, tokens: $0.tokens, expertSlots: $0.slots, dispatchBytes: $0.dispatchBytes, combineBytes: $0.combineBytes)
            }
            layers = t.layers.map { l in
                Layer(layer: l, wireBytes: t.perLayer[l]?.totalBytes ?? 0, hostImbalance: t.hostImbalance(layer: l),
                      expertImbalance: t.expertImbalance(layer: l), bytesSavedByDeduplication: t.ledger.bytesSavedByDeduplication[l])
            }
        }
    }

    /// The transport's own count over the workload, beside the ledger's: they must agree.
    public struct TransportCounts: Sendable, Equatable, Codable {
        public var sentMessages: Int
        public var sentBytes: Int
        public var receivedMessages: Int
        public var receivedBytes: Int
        public init(sentMessages: Int, sentBytes: Int, receivedMessages: Int, receivedBytes: Int) {
            self.sentMessages = sentMessages
            self.sentBytes = sentBytes
            self.receivedMessages = receivedMessages
            self.receivedBytes = receivedBytes
        }
        enum CodingKeys: String, CodingKey {
            case sentMessages = "sent_messages", sentBytes = "sent_bytes", receivedMessages = "received_messages", receivedBytes = "received_bytes"
        }
    }

    public struct Output: Sendable, Equatable, Codable {
        public var request: Int
        public var generated: [Int]
        public init(request: Int, generated: [Int]) {
            self.request = request
            self.generated = generated
        }
    }

    /// Faults of the run: those injected (`--inject`) and what the coordinator saw happen to its hosts.
    public struct Faults: Sendable, Equatable, Codable {
        public struct Injected: Sendable, Equatable, Codable {
            public var fault: String
            public var host: Int
            /// Seconds from the workload's start.
            public var atSeconds: Double
            /// Until the coordinator declared the host lost (kill, stop); nil when it never did.
            public var detectedAfterSeconds: Double?
            /// Until the host was used again after a restart; nil when it was not.
            public var recoveredAfterSeconds: Double?
            public init(fault: String, host: Int, atSeconds: Double, detectedAfterSeconds: Double?, recoveredAfterSeconds: Double?) {
                self.fault = fault
                self.host = host
                self.atSeconds = atSeconds
                self.detectedAfterSeconds = detectedAfterSeconds
                self.recoveredAfterSeconds = recoveredAfterSeconds
            }
            enum CodingKeys: String, CodingKey {
                case fault, host, atSeconds = "at_seconds", detectedAfterSeconds = "detected_after_seconds",
                     recoveredAfterSeconds = "recovered_after_seconds"
            }
        }

        public struct Event: Sendable, Equatable, Codable {
            public var host: Int
            /// lost, failed_over or rejoined.
            public var event: String
            public var detail: String
            public var atSeconds: Double
            /// Bytes of dispatches sent again to other replicas (failed_over).
            public var resentBytes: Int
            public init(host: Int, event: String, detail: String, atSeconds: Double, resentBytes: Int) {
                self.host = host
                self.event = event
                self.detail = detail
                self.atSeconds = atSeconds
                self.resentBytes = resentBytes
            }
            enum CodingKeys: String, CodingKey { case host, event, detail, atSeconds = "at_seconds", resentBytes = "resent_bytes" }
        }

        public var injected: [Injected]
        public var events: [Event]
        public init(injected: [Injected], events: [Event]) {
            self.injected = injected
            self.events = events
        }
    }

    public var cluster: String
    public var transport: TrafficContext.Transport
    public var payload: TrafficContext.Payload
    public var weights: String
    public var model: Model
    public var hosts: [Host]
    public var requests: Int
    public var promptTokens: Int
    public var generatedTokens: Int
    public var steps: Int
    public var seconds: Double
    public var tokensPerSecond: Double
    public var stepLatencySeconds: Latency
    public var layers: [Layer]
    public var traffic: Traffic
    public var transportCounters: TransportCounts
    /// Frames outside the ledger (hello answers, heartbeats, errors, dropped frames), as the
    /// coordinator's session counted them: ledger + these = the transport's count.
    public var controlFrames: TransportCounts
    public var outputs: [Output]
    /// Absent in runs without faults.
    public var faults: Faults?
    /// True when a signal stopped the run at a step boundary: `outputs` and the traffic hold what
    /// ran until then. False in a run that finished; absent in files of older runs.
    public var interrupted: Bool?
    /// "hierarchical" when `hosts` are node relays (each holding its node's experts); absent for a
    /// direct exchange.
    public var exchange: String?

    public init(cluster: String, transport: TrafficContext.Transport, payload: TrafficContext.Payload, weights: String, model: Model, hosts: [Host],
                requests: Int, promptTokens: Int, generatedTokens: Int, steps: Int, seconds: Double, tokensPerSecond: Double,
                stepLatencySeconds: Latency, layers: [Layer], traffic: Traffic, transportCounters: TransportCounts, controlFrames: TransportCounts,
                outputs: [Output], faults: Faults? = nil, interrupted: Bool? = nil) {
        self.cluster = cluster
        self.transport = transport
        self.payload = payload
        self.weights = weights
        self.model = model
        self.hosts = hosts
        self.requests = requests
        self.promptTokens = promptTokens
        self.generatedTokens = generatedTokens
        self.steps = steps
        self.seconds = seconds
        self.tokensPerSecond = tokensPerSecond
        self.stepLatencySeconds = stepLatencySeconds
        self.layers = layers
        self.traffic = traffic
        self.transportCounters = transportCounters
        self.controlFrames = controlFrames
        self.outputs = outputs
        self.faults = faults
        self.interrupted = interrupted
    }

    enum CodingKeys: String, CodingKey {
        case cluster, transport, payload, weights, model, hosts, requests, steps, seconds, layers, traffic, outputs, faults, interrupted, exchange
        case promptTokens = "prompt_tokens", generatedTokens = "generated_tokens", tokensPerSecond = "tokens_per_second"
        case stepLatencySeconds = "step_latency_seconds", transportCounters = "transport_counters", controlFrames = "control_frames"
    }

    /// The file's bytes, in `JSONStyle`.
    public func encoded() throws -> Data {
        try JSONStyle.encoder().encode(self)
    }

    /// Decodes and checks summary.json's bytes; errors name `file` and the field.
    public static func decode(_ data: Data, file: String) throws(TrafficFileError) -> RunSummary {
        guard String(validating: data, as: UTF8.self) != nil else { throw TrafficFileError("\(file): is not UTF-8 text") }
        let summary: RunSummary
        do {
            summary = try JSONDecoder().decode(RunSummary.self, from: data)
        } catch let error as DecodingError {
            throw TrafficFileError("\(file): \(TrafficJSONL.describe(error))")
        } catch {
            throw TrafficFileError("\(file): \(error)")
        }
        if let problem = summary.problem { throw TrafficFileError("\(file): \(problem)") }
        return summary
    }

    /// The first field that cannot be true of a run, as "field: problem"; nil when none.
    public var problem: String? {
        func count(_ field: String, _ value: Int) -> String? { value < 0 ? "\(field): \(value) is negative" : nil }
        func duration(_ field: String, _ value: Double) -> String? { value.isFinite && value >= 0 ? nil : "\(field): \(value) is not a duration" }
        func indexes(_ field: String, _ values: [Int], below limit: Int) -> String? {
            // Every check is evaluated: a limit that is itself wrong (model.layers ≤ 0, reported
            // first) must not become a range.
            guard limit > 0 else { return values.isEmpty ? nil : "\(field): no index is below \(limit)" }
            return values.enumerated().first { !(0..<limit).contains($0.element) }.map { "\(field)[\($0.offset)]: \($0.element) is not in 0...\(limit - 1)" }
        }
        let checks: [String?] = [
            model.layers > 0 ? nil : "model.layers: \(model.layers) is not positive",
            model.hidden > 0 ? nil : "model.hidden: \(model.hidden) is not positive",
            model.experts > 0 ? nil : "model.experts: \(model.experts) is not positive",
            (1...max(1, model.experts)).contains(model.expertsPerToken) ? nil : "model.experts_per_token: \(model.expertsPerToken) is not in 1...\(model.experts)",
            count("requests", requests), count("prompt_tokens", promptTokens), count("generated_tokens", generatedTokens), count("steps", steps),
            duration("seconds", seconds), duration("tokens_per_second", tokensPerSecond),
            duration("step_latency_seconds.p50", stepLatencySeconds.p50), duration("step_latency_seconds.p99", stepLatencySeconds.p99),
            hosts.enumerated().first { $0.element.host != $0.offset }.map { "hosts[\($0.offset)].host: \($0.element.host), expected \($0.offset)" },
            hosts.enumerated().first { $0.element.experts < 0 }.map { "hosts[\($0.offset)].experts: \($0.element.experts) is negative" },
            indexes("layers.layer", layers.map(\.layer), below: model.layers),
            layers.enumerated().first { [$0.element.dispatchMessages, $0.element.dispatchBytes, $0.element.combineBytes, $0.element.tokens].contains { $0 < 0 } }
                .map { "layers[\($0.offset)]: a negative count" },
            [traffic.messages, traffic.wireBytes, traffic.dispatchBytes, traffic.combineBytes, traffic.bytesSavedByDeduplication,
             traffic.intraNodeBytes, traffic.interNodeBytes].contains { $0 < 0 } ? "traffic: a negative count" : nil,
            traffic.nodesPerTokenMean.flatMap { $0.isFinite && $0 >= 0 ? nil : "traffic.nodes_per_token_mean: \($0) is not a finite, non-negative number" },
            traffic.nodesPerTokenMax.flatMap { $0 >= 0 ? nil : "traffic.nodes_per_token_max: \($0) is negative" },
            indexes("traffic.hosts.host", traffic.hosts.map(\.host), below: max(1, hosts.count)),
            indexes("traffic.layers.layer", traffic.layers.map(\.layer), below: model.layers),
            [transportCounters.sentMessages, transportCounters.sentBytes, transportCounters.receivedMessages, transportCounters.receivedBytes]
                .contains { $0 < 0 } ? "transport_counters: a negative count" : nil,
            [controlFrames.sentMessages, controlFrames.sentBytes, controlFrames.receivedMessages, controlFrames.receivedBytes]
                .contains { $0 < 0 } ? "control_frames: a negative count" : nil,
            outputs.enumerated().first { $0.element.request < 0 || $0.element.generated.contains { $0 < 0 } }.map { "outputs[\($0.offset)]: a negative request or token id" },
            faults.flatMap(faultProblem),
        ]
        return checks.lazy.compactMap { $0 }.first
    }

    /// The first fault or event report.html could not place: a host outside the run, a time that is
    /// not a duration, a negative byte count.
    private func faultProblem(_ faults: Faults) -> String? {
        func duration(_ value: Double?) -> Bool { value.map { $0.isFinite && $0 >= 0 } ?? true }
        for (i, fault) in faults.injected.enumerated() {
            if !hosts.indices.contains(fault.host) { return "faults.injected[\(i)].host: \(fault.host) is not in 0...\(hosts.count - 1)" }
            if !duration(fault.atSeconds) || !duration(fault.detectedAfterSeconds) || !duration(fault.recoveredAfterSeconds) {
                return "faults.injected[\(i)]: a time that is not a duration"
            }
        }
        for (i, event) in faults.events.enumerated() {
            if !hosts.indices.contains(event.host) { return "faults.events[\(i)].host: \(event.host) is not in 0...\(hosts.count - 1)" }
            if !duration(event.atSeconds) { return "faults.events[\(i)].at_seconds: \(event.atSeconds) is not a duration" }
            if event.resentBytes < 0 { return "faults.events[\(i)].resent_bytes: \(event.resentBytes) is negative" }
        }
        return nil
    }
}

import SwitchyardKernels
import Foundation
import SwitchyardModel

/// What a workload measured.
public struct WorkloadReport: Sendable {
    public var requests: Int
    public var promptTokens: Int
    public var generatedTokens: Int
    public var steps: Int
    public var seconds: Double
    /// Seconds of each step, in order.
    public var stepSeconds: [Double]
    /// Prompt tokens each step processed (0: a decode-only step), in order.
    public var stepPromptTokens: [Int] = []
    public var outputs: [Int: [Int]]
    /// Stopped at a step boundary before every request finished; `outputs` has the finished ones.
    public var interrupted = false

    public var tokensPerSecond: Double { seconds > 0 ? Double(generatedTokens) / seconds : 0 }

    /// The q-quantile (0...1) of step latency, nearest rank.
    public func stepLatency(quantile q: Double) -> Double {
        guard !stepSeconds.isEmpty else { return 0 }
        let sorted = stepSeconds.sorted()
        let rank = Int((q * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }
}

/// How a step's exchanges and the coordinator's own work line up.
public enum Overlap: String, Sendable, CaseIterable {
    /// Each layer waits for its exchange.
    case none
    /// Two micro-batches: one's attention runs while the other's experts are in flight.
    case pingpong
}

/// Runs requests through a model with greedy decoding, `maxBatch` sequences a step.
public struct WorkloadRunner {
    public let model: Mistral4Model
    public let experts: RoutedExpertBackend

    public init(model: Mistral4Model, experts: RoutedExpertBackend) {
        self.model = model
        self.experts = experts
    }

    /// `progress(stepsDone, tokensGenerated)` is called after each step; `stopRequested` before
    /// each, and when it answers true the run ends there, its report marked interrupted.
    public func run(_ requests: [GenerationRequest], maxBatch: Int, overlap: Overlap = .none,
                    progress: (Int, Int) -> Void = { _, _ in },
                    stopRequested: () -> Bool = { false }) throws -> WorkloadReport {
        var scheduler = BatchScheduler(requests: requests, maxBatch: maxBatch)
        var caches: [Int: KVCache] = [:]
        var stepSeconds: [Double] = [], stepPromptTokens: [Int] = []
        var generated = 0
        let start = ContinuousClock.now
        var interrupted = false
        while !scheduler.isDone {
            if stopRequested() {
                interrupted = true
                break
            }
            let entries = scheduler.nextStep()
            let stepStart = ContinuousClock.now
            stepPromptTokens.append(entries.filter { caches[$0.request] == nil }.reduce(0) { $0 + $1.tokens.count })
            let batch = entries.map { entry in
                SequenceStep(cache: caches[entry.request, default: KVCache(config: model.config)], tokens: entry.tokens)
            }
            for (entry, step) in zip(entries, batch) { caches[entry.request] = step.cache }
            let logits: [Float]
            if overlap == .pingpong, let overlapping = experts as? OverlappingExpertBackend {
                logits = try model.stepPingPong(batch, experts: overlapping, lastOnly: true)
            } else {
                logits = try model.step(batch, experts: experts, lastOnly: true)
            }
            // One row a sequence: its last position's.
            let next = entries.indices.map { Generator.argmax(logits, row: $0, width: model.config.vocabSize) }
            scheduler.complete(next: next)
            for entry in entries where scheduler.finished[entry.request] != nil { caches[entry.request] = nil }
            generated += next.count
            stepSeconds.append(Self.seconds(ContinuousClock.now - stepStart))
            progress(stepSeconds.count, generated)
        }
        return WorkloadReport(requests: requests.count, promptTokens: requests.reduce(0) { $0 + $1.prompt.count },
                              generatedTokens: generated, steps: stepSeconds.count, seconds: Self.seconds(ContinuousClock.now - start),
                              stepSeconds: stepSeconds, stepPromptTokens: stepPromptTokens, outputs: scheduler.finished, interrupted: interrupted)
    }

    public static func seconds(_ d: Duration) -> Double {
        d.inSeconds
    }

    /// Deterministic prompts: request r's tokens spread over the vocabulary.
    public static func syntheticRequests(count: Int, promptTokens: Int, newTokens: Int, vocabSize: Int) -> [GenerationRequest] {
        (0..<count).map { r in
            GenerationRequest(id: r, prompt: (0..<promptTokens).map { (1 + r * 7919 + $0 * 104_729) % vocabSize }, newTokens: newTokens)
        }
    }
}

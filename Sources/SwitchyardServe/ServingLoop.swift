import Foundation
import SwitchyardKernels
import SwitchyardModel
import SwitchyardRuntime
import SwitchyardTraffic

/// The model side of `switchyard serve`, on the one thread that owns the cluster (its session and
/// driver are not thread-safe): takes requests from the queue as the batch has room, steps every
/// running sequence together (a newcomer's prompt beside the others' decode steps), samples each
/// sequence's next token with its own sampler and hands it to its connection. A sequence whose
/// client went away leaves the batch before the next step. With nothing to run it keeps the hosts
/// hearing from it (`ClusterExperts.keepAlive`) every `keepAliveInterval`.
/// Sendable only to be handed to the thread that runs it; nothing else may touch it after.
public final class ServingLoop: @unchecked Sendable {
    public let model: Mistral4Model
    public let experts: ClusterExperts
    public let queue: ServingQueue
    public let maxBatch: Int
    /// Tokens one step may carry (the wire's limit): newcomers' prompts wait until they fit.
    public let maxStepTokens: Int
    public let metrics: ServingMetrics
    /// How often an idle loop answers the hosts' heartbeats and sends its own.
    public var keepAliveInterval: Duration = .milliseconds(50)
    /// Records kept in the coordinator's traffic recorder before it is replaced by an empty one.
    public var recorderLimit = 1 << 16
    private var scheduler: BatchScheduler
    private var sequences: [Int: RunningSequence] = [:]
    private var steps: Int32 = 0

    final class RunningSequence {
        let submission: Submission
        let cache: KVCache
        var sampler: TokenSampler
        var generated = 0

        init(submission: Submission, cache: KVCache, sampler: TokenSampler) {
            self.submission = submission
            self.cache = cache
            self.sampler = sampler
        }
    }

    public init(model: Mistral4Model, experts: ClusterExperts, queue: ServingQueue, maxBatch: Int, maxStepTokens: Int = 65536,
                metrics: ServingMetrics) {
        precondition(maxBatch > 0 && maxStepTokens >= maxBatch, "a batch holds at least one sequence, a step one token per sequence")
        self.maxStepTokens = maxStepTokens
        self.model = model
        self.experts = experts
        self.queue = queue
        self.maxBatch = maxBatch
        self.metrics = metrics
        scheduler = BatchScheduler(requests: [], maxBatch: maxBatch)
    }

    /// Serves until the queue is stopped (then fails what is still running with 503 and returns)
    /// or the cluster fails (then fails every request with 500 and throws the cluster's error).
    public func run() throws {
        var lastContact = ContinuousClock.now
        while true {
            let idle = scheduler.activeCount == 0
            let wait = idle ? max(.zero, lastContact + keepAliveInterval - .now) : .zero
            // Every running sequence has had its prompt step, so each adds one token to the next step.
            let work = queue.take(limit: maxBatch - scheduler.activeCount, tokenBudget: maxStepTokens - scheduler.activeCount, wait: wait)
            for id in work.cancelled where sequences[id] != nil {
                scheduler.cancel(request: id)
                sequences[id] = nil
                metrics.count(.cancelled)
            }
            if work.stopping {
                failAll(.unavailable("the server is shutting down"))
                return
            }
            for submission in work.arrivals { admit(submission) }
            publishOccupancy()
            do {
                if scheduler.activeCount > 0 {
                    try step()
                    publishOccupancy()
                    lastContact = .now
                } else if ContinuousClock.now - lastContact >= keepAliveInterval {
                    try experts.keepAlive(timeout: .milliseconds(1))
                    lastContact = .now
                }
            } catch {
                failAll(.serverError("the cluster failed: \(error)"))
                throw error
            }
        }
    }

    private func admit(_ submission: Submission) {
        let request = submission.request
        let sampler = TokenSampler(temperature: request.temperature, topP: request.topP, seed: request.seed ?? UInt64.random(in: 0...UInt64.max))
        metrics.accepted(promptTokens: request.prompt.count)
        guard request.maxTokens > 0 else {
            // Nothing to generate: answered without a step, as OpenAI answers max_tokens 0.
            submission.sink(.finished(.init(promptTokens: request.prompt.count, completionTokens: 0)))
            metrics.count(.completed)
            return
        }
        sequences[submission.id] = RunningSequence(submission: submission, cache: KVCache(config: model.config), sampler: sampler)
        scheduler.submit(GenerationRequest(id: submission.id, prompt: request.prompt, newTokens: request.maxTokens))
    }

    private func step() throws {
        let entries = scheduler.nextStep()
        let batch = entries.map { SequenceStep(cache: sequences[$0.request]!.cache, tokens: $0.tokens) }
        steps = steps == .max ? 1 : steps + 1
        experts.traffic.step = steps
        let start = ContinuousClock.now
        // One row a sequence: its last position's, all a sampler reads.
        let logits = try model.step(batch, experts: experts, lastOnly: true)
        let vocab = model.config.vocabSize
        let next = logits.withUnsafeBufferPointer { all in
            entries.enumerated().map { row, entry -> Int in
                sequences[entry.request]!.sampler.next(UnsafeBufferPointer(rebasing: all[(row * vocab)..<((row + 1) * vocab)]))
            }
        }
        scheduler.complete(next: next)
        let now = ContinuousClock.now
        for (entry, token) in zip(entries, next) {
            guard let sequence = sequences[entry.request] else { continue }
            let submission = sequence.submission
            sequence.generated += 1
            if sequence.generated == 1 { metrics.firstToken(after: now - submission.arrived) }
            submission.sink(.token(token))
            if scheduler.takeFinished(entry.request) != nil {
                submission.sink(.finished(.init(promptTokens: submission.request.prompt.count, completionTokens: sequence.generated)))
                sequences[entry.request] = nil
                metrics.completed(after: now - submission.arrived)
                metrics.count(.completed)
            }
        }
        metrics.run.update(from: experts.traffic, stepSeconds: (now - start).inSeconds, generatedTokens: next.count)
        if experts.traffic.records.count >= recorderLimit { replaceRecorder() }
    }

    /// A server runs for days: the recorder starts again empty, keeping the expert loads so far.
    private func replaceRecorder() {
        let old = experts.traffic
        let fresh = TrafficRecorder(context: old.context)
        for layer in 0..<old.context.layers {
            fresh.noteRouting(layer: layer, tokensPerExpert: Array(old.expertTokens(layer: layer)), bytesSavedByDeduplication: 0)
        }
        fresh.step = old.step
        experts.traffic = fresh
        metrics.run.recorderReplaced()
    }

    private func failAll(_ error: APIError) {
        for id in sequences.keys.sorted() {
            sequences[id]?.submission.sink(.failed(error))
            scheduler.cancel(request: id)
            metrics.count(.failed)
        }
        sequences = [:]
        publishOccupancy()
    }

    private func publishOccupancy() {
        queue.runningCount = scheduler.activeCount
        metrics.occupancy(running: scheduler.activeCount, waiting: queue.waitingCount)
    }
}

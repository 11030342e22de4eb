import Foundation
import SwitchyardCore
import SwitchyardModel
import SwitchyardModelConfig
import SwitchyardRuntime
import Testing
@testable import SwitchyardServe

/// Collects one request's events from the model thread.
final class EventLog: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [CompletionEvent] = []
    func append(_ event: CompletionEvent) { lock.withLock { events.append(event) } }
    var all: [CompletionEvent] { lock.withLock { events } }
    var tokens: [Int] { all.compactMap { if case let .token(t) = $0 { t } else { nil } } }
    var ended: Bool { all.contains { if case .token = $0 { false } else { true } } }

    func waitUntil(_ deadline: Duration = .seconds(30), _ done: (EventLog) -> Bool) -> Bool {
        let end = ContinuousClock.now + deadline
        while !done(self) {
            if ContinuousClock.now > end { return false }
            usleep(2_000)
        }
        return true
    }
}

/// The model loop on its own thread against a 2-host in-process cluster of the tiny model.
@Suite(.serialized) struct ServingLoopTests {
    let config = ModelPreset.tiny.config
    let source: WeightSource

    init() { source = SyntheticWeights(config: ModelPreset.tiny.config, seed: 0, dtype: .f32) }

    func greedy(_ prompt: [Int], _ count: Int) throws -> [Int] {
        let model = Mistral4Model(weights: try Mistral4Weights(config: config, source: source))
        let experts = LocalExperts(weights: try RoutedExpertWeights(config: config, source: source, owned: Array(0..<config.nRoutedExperts)),
                                   hiddenSize: config.hiddenSize)
        return try Generator(model: model, experts: experts).generate(prompt: prompt, count: count).generated
    }

    /// Runs `body` with a serving loop on its own thread; stops it and the cluster afterwards.
    func withLoop(maxBatch: Int = 4, maxStepTokens: Int = 65536, capacity: Int = 8, _ body: (ServingQueue, ServingMetrics) throws -> Void) throws {
        let cluster = try InProcessCluster(config: config, placement: try Placement(.contiguous, experts: config.nRoutedExperts, hosts: 2),
                                           source: source, payload: .f32)
        let queue = ServingQueue(capacity: capacity), metrics = ServingMetrics()
        let loop = ServingLoop(model: Mistral4Model(weights: try Mistral4Weights(config: config, source: source)), experts: cluster.experts,
                               queue: queue, maxBatch: maxBatch, maxStepTokens: maxStepTokens, metrics: metrics)
        let finished = DispatchSemaphore(value: 0)
        let thread = Thread {
            do { try loop.run() } catch { Issue.record("the loop failed: \(error)") }
            finished.signal()
        }
        thread.start()
        defer {
            queue.stop()
            #expect(finished.wait(timeout: .now() + 30) == .success, "the loop did not stop")
            cluster.stop()
        }
        try body(queue, metrics)
    }

    func submit(_ queue: ServingQueue, _ request: CompletionRequest) throws -> (Int, EventLog) {
        let log = EventLog()
        let id = try queue.submit(request) { log.append($0) }
        return (id, log)
    }

    @Test func concurrentGreedyRequestsGetTheTokensOfGenerate() throws {
        let prompts = [[5, 77, 300], [1, 2], [499, 8, 64, 128], [9], [42, 43, 44, 45, 46]]
        let expected = try prompts.map { try greedy($0, 6) }
        try withLoop(maxBatch: 3) { queue, _ in
            let logs = try prompts.map { try submit(queue, CompletionRequest(prompt: $0, maxTokens: 6, temperature: 0)).1 }
            for (index, log) in logs.enumerated() {
                #expect(log.waitUntil { $0.ended })
                #expect(log.tokens == expected[index], "prompt \(prompts[index])")
                #expect(log.all.last == .finished(.init(promptTokens: prompts[index].count, completionTokens: 6)))
            }
        }
    }

    /// Prompts that would overflow a step wait for the next one, in arrival order.
    @Test func stepsStayWithinTheirTokenLimit() throws {
        let queue = ServingQueue(capacity: 4)
        for prompt in [[1, 2, 3], [4, 5, 6], [7]] { _ = try queue.submit(CompletionRequest(prompt: prompt)) { _ in } }
        #expect(queue.take(limit: 4, tokenBudget: 5, wait: .zero).arrivals.map(\.request.prompt) == [[1, 2, 3]])
        #expect(queue.take(limit: 4, tokenBudget: 4, wait: .zero).arrivals.map(\.request.prompt) == [[4, 5, 6], [7]])
        let prompts = [[5, 77, 300, 12, 499], [1, 2, 3, 4, 5], [8, 9]]
        let expected = try prompts.map { try greedy($0, 4) }
        try withLoop(maxBatch: 3, maxStepTokens: 7) { queue, _ in
            let logs = try prompts.map { try submit(queue, CompletionRequest(prompt: $0, maxTokens: 4, temperature: 0)).1 }
            for (index, log) in logs.enumerated() {
                #expect(log.waitUntil { $0.ended })
                #expect(log.tokens == expected[index])
            }
        }
    }

    @Test func seededSamplingRepeatsWhateverElseIsInTheBatch() throws {
        try withLoop { queue, _ in
            let request = CompletionRequest(prompt: [3, 4, 5], maxTokens: 8, temperature: 0.9, topP: 0.95, seed: 11)
            let (_, alone) = try submit(queue, request)
            #expect(alone.waitUntil { $0.ended })
            let (_, crowd) = try submit(queue, CompletionRequest(prompt: [100, 200], maxTokens: 8, temperature: 1.2, seed: 1))
            let (_, again) = try submit(queue, request)
            #expect(again.waitUntil { $0.ended } && crowd.waitUntil { $0.ended })
            #expect(alone.tokens.count == 8 && again.tokens == alone.tokens)
        }
    }

    /// A client that leaves mid-generation: its sequence leaves the batch, the others go on.
    @Test func aCancelledSequenceLeavesTheBatch() throws {
        try withLoop(maxBatch: 2) { queue, metrics in
            let (long, leaving) = try submit(queue, CompletionRequest(prompt: [1, 2, 3], maxTokens: 4000, temperature: 0))
            #expect(leaving.waitUntil { $0.tokens.count >= 2 })
            #expect(!queue.cancel(long), "a running request is not in the waiting list")
            #expect(leaving.waitUntil { _ in queue.runningCount == 0 }, "the cancelled sequence still runs")
            let stoppedAt = leaving.tokens.count
            let (_, next) = try submit(queue, CompletionRequest(prompt: [7, 8], maxTokens: 3, temperature: 0))
            #expect(next.waitUntil { $0.ended })
            #expect(next.tokens == (try greedy([7, 8], 3)))
            #expect(leaving.tokens.count <= stoppedAt + 1 && !leaving.ended)
            #expect(metrics.exposition().contains(#"switchyard_serve_requests_total{outcome="cancelled"} 1"#))
        }
    }

    @Test func aFullQueueRefusesAndStoppingFailsWhatIsOpen() throws {
        try withLoop(maxBatch: 1, capacity: 1) { queue, _ in
            let (_, running) = try submit(queue, CompletionRequest(prompt: [1], maxTokens: 4000, temperature: 0))
            #expect(running.waitUntil { !$0.tokens.isEmpty })
            let (_, waiting) = try submit(queue, CompletionRequest(prompt: [2], maxTokens: 2, temperature: 0))
            #expect(throws: APIError.unavailable("the queue is full (1 requests waiting for the batch); try again later")) {
                _ = try queue.submit(CompletionRequest(prompt: [3], maxTokens: 1)) { _ in }
            }
            queue.stop()
            #expect(running.waitUntil { $0.ended } && waiting.waitUntil { $0.ended })
            #expect(running.all.last == .failed(.unavailable("the server is shutting down")))
            #expect(waiting.all == [.failed(.unavailable("the server is shutting down"))])
            #expect(throws: APIError.self) { _ = try queue.submit(CompletionRequest(prompt: [3], maxTokens: 1)) { _ in } }
        }
    }
}

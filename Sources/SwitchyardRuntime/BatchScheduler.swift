/// One request: a prompt and the number of tokens to generate for it.
public struct GenerationRequest: Sendable, Equatable {
    public var id: Int
    public var prompt: [Int]
    public var newTokens: Int

    public init(id: Int, prompt: [Int], newTokens: Int) {
        self.id = id
        self.prompt = prompt
        self.newTokens = newTokens
    }
}

/// Continuous batching as a pure value: up to `maxBatch` sequences step together; a finished
/// sequence leaves and a waiting request joins between steps (its prompt is its first step).
public struct BatchScheduler: Sendable {
    public struct Entry: Sendable, Equatable {
        public var request: Int
        /// The tokens this sequence feeds the model in this step.
        public var tokens: [Int]
    }

    public let maxBatch: Int
    private var waiting: [GenerationRequest]
    private var active: [(request: GenerationRequest, generated: [Int])] = []
    public private(set) var finished: [Int: [Int]] = [:]

    public init(requests: [GenerationRequest], maxBatch: Int) {
        precondition(maxBatch > 0, "a batch holds at least one sequence")
        waiting = requests.reversed()
        self.maxBatch = maxBatch
        admit()
    }

    public var isDone: Bool { waiting.isEmpty && active.isEmpty }
    public var activeCount: Int { active.count }
    public var waitingCount: Int { waiting.count }

    /// A request that arrived while others run (a server's): it waits behind the earlier ones and
    /// joins as soon as the batch has room, at once if it has.
    public mutating func submit(_ request: GenerationRequest) {
        waiting.insert(request, at: 0)
        admit()
    }

    /// Drops a request whose client went away, running or waiting, with what it generated; a
    /// waiting request takes its place. False when the scheduler does not hold it.
    @discardableResult
    public mutating func cancel(request id: Int) -> Bool {
        let before = active.count + waiting.count
        active.removeAll { $0.request.id == id }
        waiting.removeAll { $0.id == id }
        finished[id] = nil
        admit()
        return active.count + waiting.count < before
    }

    /// Hands over a finished request's tokens and forgets them, so a long-running server does
    /// not keep every answer.
    public mutating func takeFinished(_ id: Int) -> [Int]? {
        finished.removeValue(forKey: id)
    }

    /// What each active sequence feeds the model this step, in batch order.
    public func nextStep() -> [Entry] {
        active.map { sequence in
            Entry(request: sequence.request.id, tokens: sequence.generated.last.map { [$0] } ?? sequence.request.prompt)
        }
    }

    /// Records the token each sequence of the last step produced (in batch order), retires
    /// finished sequences and admits waiting requests.
    public mutating func complete(next tokens: [Int]) {
        precondition(tokens.count == active.count, "\(tokens.count) tokens for \(active.count) sequences")
        for i in active.indices { active[i].generated.append(tokens[i]) }
        for sequence in active where sequence.generated.count >= sequence.request.newTokens {
            finished[sequence.request.id] = sequence.generated
        }
        active.removeAll { $0.generated.count >= $0.request.newTokens }
        admit()
    }

    private mutating func admit() {
        while active.count < maxBatch, let request = waiting.popLast() {
            if request.newTokens == 0 { finished[request.id] = [] } else { active.append((request, [])) }
        }
    }
}

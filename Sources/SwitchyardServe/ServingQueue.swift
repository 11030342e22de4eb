import Foundation

/// The hand-off between the HTTP server's event loops and the one thread that runs the model: a
/// bounded queue of accepted requests, the ids of requests whose clients went away, and the stop
/// flag. A full queue or a stopping server refuses at once (503); nothing here blocks a caller
/// for longer than a lock.
public final class ServingQueue: @unchecked Sendable {
    /// Requests waiting for room in the batch, at most this many.
    public let capacity: Int
    private let condition = NSCondition()
    private var pending: [Submission] = []
    private var cancelled: Set<Int> = []
    private var nextID = 1
    private var stopping = false
    private var running = 0

    public init(capacity: Int) {
        precondition(capacity >= 0, "a queue holds zero or more requests")
        self.capacity = capacity
    }

    /// Accepts a request; its events go to `sink` (from the model thread).
    public func submit(_ request: CompletionRequest, sink: @escaping @Sendable (CompletionEvent) -> Void) throws(APIError) -> Int {
        condition.lock()
        defer { condition.unlock() }
        guard !stopping else { throw .unavailable("the server is shutting down") }
        guard pending.count < capacity else {
            throw .unavailable("the queue is full (\(capacity) requests waiting for the batch); try again later")
        }
        let id = nextID
        nextID += 1
        pending.append(Submission(id: id, request: request, arrived: .now, sink: sink))
        condition.signal()
        return id
    }

    /// The client of `id` went away: a waiting request leaves the queue (true); a running one is
    /// dropped from the batch by the model thread at its next step (false).
    @discardableResult
    public func cancel(_ id: Int) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        let before = pending.count
        pending.removeAll { $0.id == id }
        if pending.count < before { return true }
        cancelled.insert(id)
        condition.signal()
        return false
    }

    public struct Work: Sendable {
        public var arrivals: [Submission]
        public var cancelled: Set<Int>
        public var stopping: Bool
    }

    /// For the model thread: up to `limit` waiting requests in arrival order whose prompts fit in
    /// `tokenBudget` together (the first that does not fit waits, and so do those behind it), the
    /// cancellations since the last call, and whether to stop; waits up to `wait` for any of these.
    public func take(limit: Int, tokenBudget: Int = .max, wait: Duration) -> Work {
        let deadline = Date(timeIntervalSinceNow: Double(wait.components.seconds) + Double(wait.components.attoseconds) * 1e-18)
        condition.lock()
        defer { condition.unlock() }
        while !stopping, cancelled.isEmpty, pending.isEmpty || limit <= 0, condition.wait(until: deadline) {}
        var count = 0, budget = tokenBudget
        while count < min(max(limit, 0), pending.count), pending[count].request.prompt.count <= budget {
            budget -= pending[count].request.prompt.count
            count += 1
        }
        let work = Work(arrivals: Array(pending.prefix(count)), cancelled: cancelled, stopping: stopping)
        pending.removeFirst(count)
        cancelled = []
        return work
    }

    /// Refuses new requests from now on and fails those still waiting (503); the model thread
    /// sees `stopping` at its next `take`.
    public func stop() {
        condition.lock()
        stopping = true
        let left = pending
        pending = []
        condition.broadcast()
        condition.unlock()
        for submission in left { submission.sink(.failed(.unavailable("the server is shutting down"))) }
    }

    public var isStopping: Bool { condition.withLock { stopping } }
    public var waitingCount: Int { condition.withLock { pending.count } }
    /// Sequences in the batch, as the model thread last said.
    public var runningCount: Int {
        get { condition.withLock { running } }
        set { condition.withLock { running = newValue } }
    }
}

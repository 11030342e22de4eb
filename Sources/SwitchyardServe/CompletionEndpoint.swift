import Foundation

/// What every connection of the server shares: the model's name and limits, the queue to the
/// model thread, the metrics, and a count of answers still being written.
public final class CompletionEndpoint: @unchecked Sendable {
    public let served: ServedModel
    public let queue: ServingQueue
    public let metrics: ServingMetrics
    /// Request bodies above this are refused (413) without being parsed.
    public let maxBodyBytes: Int
    private let lock = NSLock()
    private var open = 0

    public init(served: ServedModel, queue: ServingQueue, metrics: ServingMetrics, maxBodyBytes: Int = 4 << 20) {
        self.served = served
        self.queue = queue
        self.metrics = metrics
        self.maxBodyBytes = maxBodyBytes
    }

    /// Completions accepted whose answer is not yet fully written.
    public var openAnswers: Int { lock.withLock { open } }
    func answerOpened() { lock.withLock { open += 1 } }
    func answerClosed() { lock.withLock { open -= 1 } }
}

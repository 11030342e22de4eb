/// What the model loop tells a request's connection, in order: its tokens one at a time, then
/// either how it finished or why it failed.
public enum CompletionEvent: Sendable, Equatable {
    case token(Int)
    case finished(Usage)
    case failed(APIError)

    public struct Usage: Sendable, Equatable {
        public var promptTokens: Int
        public var completionTokens: Int
        public var totalTokens: Int { promptTokens + completionTokens }

        public init(promptTokens: Int, completionTokens: Int) {
            self.promptTokens = promptTokens
            self.completionTokens = completionTokens
        }
    }
}

/// A request accepted by the queue: its id, what it asks, and where its events go (a closure
/// that hops to the connection's event loop, so the model thread never blocks on a socket).
public struct Submission: Sendable {
    public let id: Int
    public let request: CompletionRequest
    public let arrived: ContinuousClock.Instant
    public let sink: @Sendable (CompletionEvent) -> Void
}

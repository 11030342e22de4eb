import Foundation

/// The JSON of OpenAI's completion objects (`text_completion`): a whole answer, a streamed chunk,
/// the usage chunk. Without a tokenizer, `text` spells the generated ids in decimal, separated
/// by spaces ("17 342 9"; streamed chunks concatenate to the same), and `token_ids` holds them.
public struct CompletionText: Sendable {
    public let id: String
    public let model: String
    public let created: Int

    public init(requestID: Int, model: String, created: Int) {
        id = "cmpl-\(requestID)"
        self.model = model
        self.created = created
    }

    /// The text of the `index`-th generated token.
    public static func text(of token: Int, index: Int) -> String { index == 0 ? String(token) : " \(token)" }

    /// The whole answer of a request that was not streamed.
    public func completion(tokens: [Int], usage: CompletionEvent.Usage, finishReason: String = "length") -> Data {
        let choice: [String: Any] = ["index": 0, "text": tokens.enumerated().map { Self.text(of: $1, index: $0) }.joined(),
                                     "token_ids": tokens, "logprobs": NSNull(), "finish_reason": finishReason]
        return json(["id": id, "object": "text_completion", "created": created, "model": model, "choices": [choice],
                     "usage": Self.usage(usage)])
    }

    /// One streamed token, sent as soon as it is sampled (the finish reason follows in its own chunk).
    public func chunk(token: Int, index: Int) -> Data {
        let choice: [String: Any] = ["index": 0, "text": Self.text(of: token, index: index), "token_ids": [token], "logprobs": NSNull(),
                                     "finish_reason": NSNull()]
        return json(["id": id, "object": "text_completion", "created": created, "model": model, "choices": [choice]])
    }

    /// The finish of a stream, after its last token.
    public func finishChunk(finishReason: String = "length") -> Data {
        let choice: [String: Any] = ["index": 0, "text": "", "logprobs": NSNull(), "finish_reason": finishReason]
        return json(["id": id, "object": "text_completion", "created": created, "model": model, "choices": [choice]])
    }

    /// `stream_options.include_usage`: the last chunk before `[DONE]`, with no choices.
    public func usageChunk(_ usage: CompletionEvent.Usage) -> Data {
        json(["id": id, "object": "text_completion", "created": created, "model": model, "choices": [Any](), "usage": Self.usage(usage)])
    }

    /// One server-sent event: `data: …` and a blank line.
    public static func event(_ data: Data) -> Data { Data("data: ".utf8) + data + Data("\n\n".utf8) }
    public static let done = Data("data: [DONE]\n\n".utf8)

    static func usage(_ usage: CompletionEvent.Usage) -> [String: Any] {
        ["prompt_tokens": usage.promptTokens, "completion_tokens": usage.completionTokens, "total_tokens": usage.totalTokens]
    }

    func json(_ object: [String: Any]) -> Data {
        (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
    }
}

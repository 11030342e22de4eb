import Foundation
import SwitchyardCore

/// `POST /v1/completions`' body, checked: every wrong field is a 400 naming it (`param`).
/// Prompts are token ids: this server has no tokenizer (no maintained Swift tokenizer library is
/// available to it), so a text prompt is refused with a message saying so.
public struct CompletionRequest: Sendable, Equatable {
    public var model: String?
    public var prompt: [Int]
    public var maxTokens: Int
    /// 0 is greedy (argmax); above, logits are divided by it before sampling.
    public var temperature: Double
    /// Nucleus sampling: the smallest set of most likely tokens whose probability reaches it.
    public var topP: Double
    /// Seeds the request's own generator, so the same request samples the same tokens.
    public var seed: UInt64?
    public var stream: Bool
    /// `stream_options.include_usage`: a last chunk with the token counts.
    public var includeUsage: Bool

    /// OpenAI's defaults: 16 tokens, temperature 1, top_p 1.
    public init(model: String? = nil, prompt: [Int], maxTokens: Int = 16, temperature: Double = 1, topP: Double = 1,
                seed: UInt64? = nil, stream: Bool = false, includeUsage: Bool = false) {
        self.model = model
        self.prompt = prompt
        self.maxTokens = maxTokens
        self.temperature = temperature
        self.topP = topP
        self.seed = seed
        self.stream = stream
        self.includeUsage = includeUsage
    }

    /// Parses and checks a request body against what `served` can do.
    public init(body: Data, served: ServedModel) throws(APIError) {
        let root: JSONValue
        do { root = try JSONDecoder().decode(JSONValue.self, from: body) } catch {
            throw .invalid("the body is not valid JSON", param: nil)
        }
        guard case let .object(fields) = root else { throw .invalid("the body is \(root.typeName), expected a JSON object", param: nil) }
        func field(_ name: String) -> JSONValue? {
            guard let value = fields[name], value != .null else { return nil }
            return value
        }

        if let value = field("model") {
            guard case let .string(name) = value else { throw .invalid("model is \(value.typeName), expected a string", param: "model") }
            guard name == served.name else {
                throw APIError.notFound("The model `\(name)` does not exist; this server serves `\(served.name)`", code: "model_not_found")
            }
            model = name
        }
        guard let promptValue = field("prompt") else { throw .invalid("prompt is missing: give the prompt as an array of token ids", param: "prompt") }
        prompt = try Self.tokenIDs(promptValue, served: served)
        guard prompt.count <= served.maxStepTokens else {
            throw .invalid("the prompt has \(prompt.count) tokens; one step carries at most \(served.maxStepTokens) (--max-step-tokens)",
                           param: "prompt", code: "context_length_exceeded")
        }

        maxTokens = try Self.integer(field("max_tokens"), "max_tokens", default: 16, in: 0...served.maxModelLength)
        temperature = try Self.number(field("temperature"), "temperature", default: 1, in: 0...2)
        topP = try Self.number(field("top_p"), "top_p", default: 1, in: 0...1)
        guard topP > 0 else { throw .invalid("top_p must be above 0 and at most 1, got 0", param: "top_p") }
        if let value = field("seed") {
            // Whole numbers beyond 2^53 do not survive JSON's doubles.
            let seed = try Self.integer(value, "seed", default: 0, in: -(1 << 53)...(1 << 53))
            self.seed = UInt64(bitPattern: Int64(seed))
        } else {
            seed = nil
        }
        stream = try Self.bool(field("stream"), "stream", default: false)
        includeUsage = false
        if let options = field("stream_options") {
            guard case let .object(members) = options else {
                throw .invalid("stream_options is \(options.typeName), expected an object", param: "stream_options")
            }
            includeUsage = try Self.bool(members["include_usage"].flatMap { $0 == .null ? nil : $0 }, "stream_options.include_usage", default: false)
        }
        guard prompt.count + maxTokens <= served.maxModelLength else {
            throw .invalid("the prompt's \(prompt.count) tokens and max_tokens \(maxTokens) exceed the model's context of \(served.maxModelLength) tokens",
                           param: "max_tokens", code: "context_length_exceeded")
        }
        // Fields this server would have to ignore to answer: refused rather than silently dropped.
        let unsupported: [(String, JSONValue)] = [
            ("n", .number(1)), ("best_of", .number(1)), ("echo", .bool(false)), ("presence_penalty", .number(0)),
            ("frequency_penalty", .number(0)),
        ]
        for (name, neutral) in unsupported {
            if let value = field(name), value != neutral {
                throw .invalid("\(name) \(value.display) is not supported; this server answers \(name) = \(neutral.display) only", param: name)
            }
        }
        for name in ["logprobs", "stop", "suffix", "logit_bias"] {
            if let value = field(name), value != .array([]), value != .object([:]) {
                throw .invalid("\(name) is not supported by this server (it has no tokenizer and returns no log probabilities)", param: name)
            }
        }
    }

    /// `[1, 2, 3]`, or `[[1, 2, 3]]` as one prompt of a batch of one.
    static func tokenIDs(_ value: JSONValue, served: ServedModel) throws(APIError) -> [Int] {
        let textRefusal = "prompt is text; this server takes prompts as token ids only (an array of integers), since no maintained Swift tokenizer library is available to it"
        switch value {
        case .string: throw .invalid(textRefusal, param: "prompt")
        case let .array(items):
            if items.count == 1, case .array = items[0] { return try tokenIDs(items[0], served: served) }
            if let first = items.first {
                if case .string = first { throw .invalid(textRefusal, param: "prompt") }
                if case .array = first { throw .invalid("prompt holds \(items.count) prompts; send one prompt per request", param: "prompt") }
            }
            guard !items.isEmpty else { throw .invalid("prompt is empty; give at least one token id", param: "prompt") }
            var ids: [Int] = []
            ids.reserveCapacity(items.count)
            for (index, item) in items.enumerated() {
                guard case let .number(n) = item, n == n.rounded(), n >= 0, n < Double(served.vocabSize) else {
                    throw .invalid("prompt[\(index)] is \(item.display), expected a token id in 0..<\(served.vocabSize)", param: "prompt")
                }
                ids.append(Int(n))
            }
            return ids
        default:
            throw .invalid("prompt is \(value.typeName), expected an array of token ids", param: "prompt")
        }
    }

    static func integer(_ value: JSONValue?, _ name: String, default fallback: Int, in range: ClosedRange<Int>) throws(APIError) -> Int {
        guard let value else { return fallback }
        guard case let .number(n) = value, n == n.rounded(), abs(n) < 1e15 else {
            throw .invalid("\(name) is \(value.display), expected an integer", param: name)
        }
        guard range.contains(Int(n)) else { throw .invalid("\(name) must be in \(range.lowerBound)...\(range.upperBound), got \(Int(n))", param: name) }
        return Int(n)
    }

    static func number(_ value: JSONValue?, _ name: String, default fallback: Double, in range: ClosedRange<Double>) throws(APIError) -> Double {
        guard let value else { return fallback }
        guard case let .number(n) = value else { throw .invalid("\(name) is \(value.typeName), expected a number", param: name) }
        guard range.contains(n) else {
            throw .invalid("\(name) must be in \(JSONValue.number(range.lowerBound).display)...\(JSONValue.number(range.upperBound).display), got \(JSONValue.number(n).display)", param: name)
        }
        return n
    }

    static func bool(_ value: JSONValue?, _ name: String, default fallback: Bool) throws(APIError) -> Bool {
        guard let value else { return fallback }
        guard case let .bool(b) = value else { throw .invalid("\(name) is \(value.typeName), expected true or false", param: name) }
        return b
    }
}

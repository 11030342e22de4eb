import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import SwitchyardCore

/// `switchyard bench serve`: N streamed completions against an OpenAI-style endpoint, either
/// `concurrency` at a time or arriving at `rate` per second (Poisson, as vLLM's
/// benchmark_serving), each timed from the client: first token, every later chunk, the end.
public struct ServeBenchmark: Sendable {
    public enum Load: Sendable, Equatable {
        case concurrency(Int)
        /// Requests per second, exponential gaps from a seeded generator.
        case rate(Double)
    }

    public var host: String
    public var port: Int
    /// The path prefix before `/v1/…` (empty for a server at the root).
    public var basePath: String
    public var requests: Int
    public var load: Load
    public var promptTokens: Int
    public var maxTokens: Int
    public var seed: UInt64
    public var timeout: Duration

    public init(url: String, requests: Int, load: Load, promptTokens: Int, maxTokens: Int, seed: UInt64 = 0,
                timeout: Duration = .seconds(300)) throws(ServeInputError) {
        guard let parts = URLComponents(string: url), parts.scheme == "http", let host = parts.host, !host.isEmpty else {
            throw ServeInputError("--url \(url): expected http://HOST:PORT (plain HTTP)")
        }
        self.host = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        port = parts.port ?? 80
        var path = parts.path
        while path.hasSuffix("/") { path.removeLast() }
        if path.hasSuffix("/v1") { path.removeLast(3) }
        basePath = path
        self.requests = requests
        self.load = load
        self.promptTokens = promptTokens
        self.maxTokens = maxTokens
        self.seed = seed
        self.timeout = timeout
    }

    /// The model the server lists first, and its vocabulary size when the server tells it.
    public func model(group: EventLoopGroup) throws -> (name: String, vocabSize: Int?) {
        let answer: HTTPExchange.Answer
        do {
            answer = try HTTPExchange.send(group: group, host: host, port: port, method: .GET, path: basePath + "/v1/models", body: nil,
                                           timeout: .seconds(10)).wait()
        } catch {
            throw ServeBenchFailure("GET \(basePath)/v1/models on \(host):\(port): \(error)")
        }
        guard answer.status == 200, let value = try? JSONDecoder().decode(JSONValue.self, from: answer.body),
              case let .object(list) = value, case let .array(models)? = list["data"], case let .object(first)? = models.first,
              case let .string(name)? = first["id"] else {
            throw ServeBenchFailure("GET \(basePath)/v1/models answered \(answer.status) without a model: \(String(decoding: answer.body.prefix(200), as: UTF8.self))")
        }
        if case let .number(vocab)? = first["vocab_size"], vocab >= 1 { return (name, Int(vocab)) }
        return (name, nil)
    }

    /// Prompts of `promptTokens` random ids below `vocabSize`, one per request, from `seed`.
    public func prompts(vocabSize: Int) -> [[Int]] {
        var generator = SplitMix64(seed: seed)
        return (0..<requests).map { _ in (0..<promptTokens).map { _ in Int(generator.next() % UInt64(vocabSize)) } }
    }

    /// Runs every request and returns what each saw, in request order, and the wall time.
    public func run(group: EventLoopGroup, model: String, prompts: [[Int]]) -> (completions: [StreamedCompletion], seconds: Double) {
        let results = Results(count: prompts.count)
        let all = DispatchGroup()
        let slots = DispatchSemaphore(value: { if case let .concurrency(c) = load { return c } else { return prompts.count } }())
        var arrivals = SplitMix64(seed: seed ^ 0x5EED)
        let start = ContinuousClock.now
        var due = start
        for (index, prompt) in prompts.enumerated() {
            if case let .rate(perSecond) = load {
                // Exponential gaps: a Poisson process of `perSecond` arrivals a second.
                let u = max(Double(arrivals.next() >> 11) * 0x1p-53, 1e-12)
                due = due + .nanoseconds(Int64(-log(u) / perSecond * 1e9))
                let wait = due - ContinuousClock.now
                if wait > .zero { Thread.sleep(forTimeInterval: StreamedCompletion.seconds(wait)) }
            }
            slots.wait()
            all.enter()
            let body = Self.body(model: model, prompt: prompt, maxTokens: maxTokens)
            let sent = ContinuousClock.now
            HTTPExchange.send(group: group, host: host, port: port, method: .POST, path: basePath + "/v1/completions", body: body, timeout: timeout)
                .whenComplete { result in
                    var completion = StreamedCompletion(promptTokens: prompt.count, sent: sent)
                    switch result {
                    case let .failure(error): completion.error = "\(error)"
                    case let .success(answer): Self.read(answer, into: &completion)
                    }
                    results.set(index, completion)
                    slots.signal()
                    all.leave()
                }
        }
        // Every request has its own deadline; this one only guards against a lost callback.
        _ = all.wait(timeout: .now() + StreamedCompletion.seconds(timeout) + 10)
        let seconds = StreamedCompletion.seconds(ContinuousClock.now - start)
        return (results.values(), seconds)
    }

    static func body(model: String, prompt: [Int], maxTokens: Int) -> Data {
        let object: [String: Any] = ["model": model, "prompt": prompt, "max_tokens": maxTokens, "temperature": 0, "stream": true,
                                     "stream_options": ["include_usage": true]]
        return (try? JSONSerialization.data(withJSONObject: object)) ?? Data()
    }

    /// The answer's server-sent events, each timed by the arrival of the bytes that completed it.
    static func read(_ answer: HTTPExchange.Answer, into completion: inout StreamedCompletion) {
        guard answer.status == 200 else {
            completion.error = "HTTP \(answer.status): \(String(decoding: answer.body.prefix(300), as: UTF8.self))"
            return
        }
        var pending: [UInt8] = []
        for part in answer.parts {
            pending += part.bytes
            while let end = Self.eventEnd(pending) {
                let event = String(decoding: pending[..<end], as: UTF8.self)
                pending.removeFirst(end + 2)
                for line in event.split(separator: "\n") where line.hasPrefix("data:") {
                    completion.receive(event: line.dropFirst(5).drop { $0 == " " }, at: part.time)
                }
            }
        }
        if completion.finished == nil, completion.error == nil { completion.error = "the stream ended without data: [DONE]" }
    }

    /// The index of the blank line ending the first event, if it has arrived.
    static func eventEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 2 else { return nil }
        for i in 0..<(bytes.count - 1) where bytes[i] == 10 && bytes[i + 1] == 10 { return i }
        return nil
    }

    final class Results: @unchecked Sendable {
        private let lock = NSLock()
        private var slots: [StreamedCompletion?]
        init(count: Int) { slots = Array(repeating: nil, count: count) }
        func set(_ index: Int, _ value: StreamedCompletion) { lock.withLock { slots[index] = value } }
        func values() -> [StreamedCompletion] {
            lock.withLock {
                slots.map { $0 ?? { var lost = StreamedCompletion(promptTokens: 0, sent: .now); lost.error = "no answer"; return lost }() }
            }
        }
    }
}

public struct ServeBenchFailure: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

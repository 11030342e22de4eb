import Foundation
import SwitchyardCore

/// What one streamed completion looked like from the client: when it was sent, when each chunk
/// with generated text arrived, and the counts. Read from the server-sent events of the answer.
public struct StreamedCompletion: Sendable {
    public var promptTokens: Int
    public var sent: ContinuousClock.Instant
    /// Arrival of each chunk that carried generated text, in order.
    public var chunkTimes: [ContinuousClock.Instant] = []
    /// Tokens generated: the usage chunk's count, else the token ids (or chunks) seen.
    public var outputTokens = 0
    public var finished: ContinuousClock.Instant?
    public var error: String?

    public init(promptTokens: Int, sent: ContinuousClock.Instant) {
        self.promptTokens = promptTokens
        self.sent = sent
    }

    public var succeeded: Bool { error == nil && finished != nil && !chunkTimes.isEmpty }

    /// Seconds from sending to the first generated text.
    public var timeToFirstToken: Double? { chunkTimes.first.map { Self.seconds($0 - sent) } }
    /// Seconds from sending to the end of the answer.
    public var latency: Double? { finished.map { Self.seconds($0 - sent) } }
    /// Seconds between consecutive chunks of generated text.
    public var interTokenLatencies: [Double] { zip(chunkTimes, chunkTimes.dropFirst()).map { Self.seconds($1 - $0) } }
    /// vLLM's TPOT: the time after the first token over the tokens after it.
    public var timePerOutputToken: Double? {
        guard outputTokens > 1, let latency, let first = timeToFirstToken else { return nil }
        return (latency - first) / Double(outputTokens - 1)
    }

    static func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18 }

    /// Takes in one server-sent event's data (`data: …` without its prefix) that arrived at `time`.
    public mutating func receive(event data: Substring, at time: ContinuousClock.Instant) {
        if data == "[DONE]" {
            finished = time
            return
        }
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(data.utf8)), case let .object(object) = value else {
            error = error ?? "an event is not a JSON object: \(data.prefix(120))"
            return
        }
        if case let .object(failure)? = object["error"] {
            if case let .string(message)? = failure["message"] { error = message } else { error = "the server sent an error event" }
            return
        }
        if case let .object(usage)? = object["usage"], case let .number(n)? = usage["completion_tokens"] {
            outputTokens = Int(n)
        }
        guard case let .array(choices)? = object["choices"], case let .object(choice)? = choices.first else { return }
        if case let .string(text)? = choice["text"], !text.isEmpty {
            chunkTimes.append(time)
            if case let .array(ids)? = choice["token_ids"] { outputTokens += ids.count } else { outputTokens += 1 }
        }
    }
}

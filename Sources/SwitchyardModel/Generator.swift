import SwitchyardKernels
/// Greedy decoding through the KV cache: the prompt in one step, then one position per step.
public struct Generator {
    public let model: Mistral4Model
    public let experts: RoutedExpertBackend

    public init(model: Mistral4Model, experts: RoutedExpertBackend) {
        self.model = model
        self.experts = experts
    }

    public struct Result: Sendable {
        public var generated: [Int]
        public var prefillSeconds: Double
        public var decodeSeconds: Double
        /// Seconds of each decode step, in order.
        public var stepSeconds: [Double]
        public var decodeTokensPerSecond: Double { decodeSeconds > 0 ? Double(max(0, generated.count - 1)) / decodeSeconds : 0 }
    }

    /// Generates `count` tokens after `prompt`. The first comes from the prompt's last position;
    /// every later one from a step that computes only the newest position.
    public func generate(prompt: [Int], count: Int) throws -> Result {
        precondition(!prompt.isEmpty, "the prompt needs at least one token")
        let vocab = model.config.vocabSize
        let cache = KVCache(config: model.config)
        var clock = ContinuousClock.now
        var logits = try model.step([SequenceStep(cache: cache, tokens: prompt)], experts: experts, lastOnly: true)
        let prefill = seconds(since: &clock)
        var result = Result(generated: [], prefillSeconds: prefill, decodeSeconds: 0, stepSeconds: [])
        guard count > 0 else { return result }
        var next = Self.argmax(logits, row: 0, width: vocab)
        result.generated.append(next)
        while result.generated.count < count {
            logits = try model.step([SequenceStep(cache: cache, tokens: [next])], experts: experts)
            next = Self.argmax(logits, row: 0, width: vocab)
            result.generated.append(next)
            result.stepSeconds.append(seconds(since: &clock))
        }
        result.decodeSeconds = result.stepSeconds.reduce(0, +)
        return result
    }

    /// The index of the largest logit in `row`; ties go to the lower index, as torch.argmax does.
    public static func argmax(_ logits: [Float], row: Int, width: Int) -> Int {
        var best = 0
        var bestValue = -Float.infinity
        for i in 0..<width where logits[row * width + i] > bestValue {
            bestValue = logits[row * width + i]
            best = i
        }
        return best
    }
}

func seconds(since clock: inout ContinuousClock.Instant) -> Double {
    let now = ContinuousClock.now
    let elapsed = now - clock
    clock = now
    return elapsed.inSeconds
}

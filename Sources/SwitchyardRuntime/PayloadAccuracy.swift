import SwitchyardCore
import SwitchyardModel
import SwitchyardModelConfig

/// How far narrower activations on the wire move the model from the float32 wire: the logits'
/// relative error and how often the greedy next token stays the same, measured over the positions
/// of a greedy continuation (teacher-forced: every payload reads the same history).
public enum PayloadAccuracy {
    public struct Figures: Sendable {
        public var payload: ActivationPayloads
        /// Per position: max |Δlogit| ÷ max |logit| of the float32 wire's row; the largest and the mean.
        public var maxRelativeError: Double
        public var meanRelativeError: Double
        /// Positions whose argmax equals the float32 wire's, and positions compared.
        public var agreeing: Int
        public var positions: Int
        public var agreement: Double { positions > 0 ? Double(agreeing) / Double(positions) : 1 }
    }

    /// Generates `newTokens` greedily after each prompt over the float32 wire, then reads every
    /// continuation once through a cluster of `hosts` in-process hosts per payload and compares
    /// the logits of the continuation's positions with the float32 wire's.
    public static func measure(config: ModelConfig, source: WeightSource, payloads: [ActivationPayloads], prompts: [[Int]],
                               newTokens: Int, hosts: Int) throws -> [Figures] {
        let placement = try Placement(.contiguous, experts: config.nRoutedExperts, hosts: hosts)
        let model = Mistral4Model(weights: try Mistral4Weights(config: config, source: source))
        func logits(_ payload: ActivationPayloads, _ body: (InProcessCluster) throws -> [[Float]]) throws -> [[Float]] {
            let cluster = try InProcessCluster(config: config, placement: placement, source: source, payload: payload)
            defer { cluster.stop() }
            return try body(cluster)
        }
        var sequences: [[Int]] = []
        let reference = try logits(.f32) { cluster in
            try prompts.map { prompt in
                let generated = try Generator(model: model, experts: cluster.experts).generate(prompt: prompt, count: newTokens).generated
                sequences.append(prompt + generated)
                return try model.step([SequenceStep(cache: KVCache(config: config), tokens: prompt + generated)], experts: cluster.experts)
            }
        }
        let vocab = config.vocabSize
        return try payloads.map { payload in
            let measured = try logits(payload) { cluster in
                try sequences.map { try model.step([SequenceStep(cache: KVCache(config: config), tokens: $0)], experts: cluster.experts) }
            }
            var figures = Figures(payload: payload, maxRelativeError: 0, meanRelativeError: 0, agreeing: 0, positions: 0)
            var sum = 0.0
            for (index, prompt) in prompts.enumerated() {
                // Positions prompt.count − 1 ... predict the continuation's tokens.
                for position in (prompt.count - 1)..<(sequences[index].count - 1) {
                    let want = reference[index][(position * vocab)..<((position + 1) * vocab)]
                    let got = measured[index][(position * vocab)..<((position + 1) * vocab)]
                    let largest = Double(want.map(abs).max() ?? 0)
                    let worst = Double(zip(want, got).map { abs($0 - $1) }.max() ?? 0)
                    let relative = largest > 0 ? worst / largest : worst
                    figures.maxRelativeError = max(figures.maxRelativeError, relative)
                    sum += relative
                    figures.positions += 1
                    if Generator.argmax(Array(want), row: 0, width: vocab) == Generator.argmax(Array(got), row: 0, width: vocab) { figures.agreeing += 1 }
                }
            }
            figures.meanRelativeError = figures.positions > 0 ? sum / Double(figures.positions) : 0
            return figures
        }
    }
}

import SwitchyardCore

extension Mistral4Model {
    /// One step as two micro-batches (the first half of the sequences, then the rest), so one's
    /// routed experts are in flight while the other's attention runs: per layer, A's exchange
    /// overlaps B's attention and B's overlaps A's next attention. The logits are those of
    /// `step` (each token's attention and experts do not depend on the other micro-batch).
    /// `lastOnly` as for `step`: each sequence's last position only.
    public func stepPingPong(_ batch: [SequenceStep], experts: OverlappingExpertBackend, lastOnly: Bool = false) throws -> [Float] {
        guard batch.count >= 2 else { return try step(batch, experts: experts, lastOnly: lastOnly) }
        try checkTokens(batch)
        let split = (batch.count + 1) / 2
        var halves = [MicroBatch(Array(batch[..<split]), model: self), MicroBatch(Array(batch[split...]), model: self)]
        var tickets: [ExpertTicket?] = [nil, nil]
        let layers = weights.layers.count
        tickets[0] = try halves[0].stage(layer: 0, microBatch: 0, experts: experts)
        for layer in 0..<layers {
            tickets[1] = try halves[1].stage(layer: layer, microBatch: 1, experts: experts)
            try halves[0].finish(tickets[0], experts: experts)
            if layer + 1 < layers { tickets[0] = try halves[0].stage(layer: layer + 1, microBatch: 0, experts: experts) }
            try halves[1].finish(tickets[1], experts: experts)
        }
        for sequence in batch { sequence.cache.advance(by: sequence.tokens.count) }
        return halves.flatMap { half in half.logits(lastOnly: lastOnly) }
    }

    /// One micro-batch's hidden states as they go through the layers.
    struct MicroBatch {
        let sequences: [SequenceStep]
        let model: Mistral4Model
        let rows: Int
        var hidden: [Float]

        init(_ sequences: [SequenceStep], model: Mistral4Model) {
            self.sequences = sequences
            self.model = model
            rows = sequences.reduce(0) { $0 + $1.tokens.count }
            hidden = model.embed(sequences, rows: rows)
        }

        /// Attention, then the feed-forward up to the routed experts, whose exchange it begins, then
        /// the shared expert while that exchange is in flight.
        mutating func stage(layer l: Int, microBatch: Int, experts: OverlappingExpertBackend) throws -> ExpertTicket? {
            let layer = model.weights.layers[l]
            model.attend(sequences, hidden: &hidden, rows: rows, layer: l)
            var normed = hidden
            model.rmsNorm(&normed, layer.postAttentionLayernorm, rows: rows)
            switch layer.mlp {
            case let .dense(mlp):
                model.add(mlp.forward(normed, tokens: rows), to: &hidden)
                return nil
            case let .moe(gate, shared):
                let routing = model.router.route(normed, tokens: rows, gate: gate)
                // The exchange begins first: the shared expert is computed while it is in flight.
                let ticket = try experts.beginRoutedExperts(layer: l, microBatch: microBatch, input: normed, tokens: rows, routing: routing)
                if let shared { model.add(shared.forward(normed, tokens: rows), to: &hidden) }
                return ticket
            }
        }

        mutating func finish(_ ticket: ExpertTicket?, experts: OverlappingExpertBackend) throws {
            guard let ticket else { return }
            model.add(try experts.finishRoutedExperts(ticket), to: &hidden)
        }

        func logits(lastOnly: Bool) -> [Float] {
            model.outputLogits(hidden, of: sequences, rows: rows, lastOnly: lastOnly)
        }
    }
}

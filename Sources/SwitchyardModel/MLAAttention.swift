import SwitchyardKernels
import SwitchyardModelConfig

/// Multi-head latent attention for one sequence, computed in the latent space: queries are
/// multiplied into the kv_lora_rank space per head, so attention reads the cached latent directly
/// and never expands keys and values for past positions.
struct MLAAttention {
    let config: ModelConfig
    let rope: RotaryEmbedding
    let scaling: AttentionScaling

    /// Attention output [tokens × hidden] for `x` [tokens × hidden] (already normalised), the new
    /// tokens of a sequence whose cache holds `cache.count` earlier positions.
    func forward(layer: Int, weights w: SelfAttentionWeights, x: [Float], tokens: Int, cache: KVCache) -> [Float] {
        let c = config
        let heads = c.numAttentionHeads, nope = c.qkNopeHeadDim, ropeDim = c.qkRopeHeadDim
        let qk = c.qkHeadDim, vDim = c.vHeadDim, rank = c.kvLoraRank
        let eps = Float(c.rmsNormEps)
        let start = cache.count

        // Queries: [tokens × heads·qk_head_dim].
        var q: [Float]
        switch w.query {
        case let .lowRank(qAProj, qALayernorm, qBProj):
            var qa = qAProj.apply(x, tokens: tokens)
            qa.withUnsafeMutableBufferPointer { a in
                qALayernorm.withUnsafeBufferPointer { Elementwise.rmsNorm(a.baseAddress!, rows: tokens, weight: $0.baseAddress!, width: $0.count, eps: eps) }
            }
            q = qBProj.apply(qa, tokens: tokens)
        case let .dense(qProj):
            q = qProj.apply(x, tokens: tokens)
        }

        // The new positions' latent (normalised) and rotary key, appended to the cache.
        var kv = w.kvAProjWithMqa.apply(x, tokens: tokens)
        let kvWidth = rank + ropeDim
        var newLatent = [Float](repeating: 0, count: tokens * rank)
        var newRope = [Float](repeating: 0, count: tokens * ropeDim)
        kv.withUnsafeMutableBufferPointer { kv in
            for t in 0..<tokens {
                let row = kv.baseAddress! + t * kvWidth
                w.kvALayernorm.withUnsafeBufferPointer { Elementwise.rmsNorm(row, rows: 1, weight: $0.baseAddress!, width: rank, eps: eps) }
                rope.apply(row + rank, position: start + t)
                for i in 0..<rank { newLatent[t * rank + i] = row[i] }
                for i in 0..<ropeDim { newRope[t * ropeDim + i] = row[rank + i] }
            }
        }
        newLatent.withUnsafeBufferPointer { l in newRope.withUnsafeBufferPointer { r in cache.append(layer: layer, latent: l, rope: r) } }

        q.withUnsafeMutableBufferPointer { q in
            for t in 0..<tokens {
                for h in 0..<heads { rope.apply(q.baseAddress! + t * heads * qk + h * qk + nope, position: start + t) }
            }
        }

        let positions = start + tokens
        let latent = cache.latent[layer], keys = cache.rope[layer]
        var output = [Float](repeating: 0, count: tokens * heads * vDim)
        var queryLatent = [Float](repeating: 0, count: tokens * rank)
        var scores = [Float](repeating: 0, count: tokens * positions)
        var outputLatent = [Float](repeating: 0, count: tokens * rank)
        let kvBStride = nope + vDim

        q.withUnsafeBufferPointer { q in
        w.kvBProj.withUnsafeBufferPointer { kvB in
        latent.withUnsafeBufferPointer { lat in
        keys.withUnsafeBufferPointer { kpe in
        queryLatent.withUnsafeMutableBufferPointer { ql in
        scores.withUnsafeMutableBufferPointer { s in
        outputLatent.withUnsafeMutableBufferPointer { ol in
        output.withUnsafeMutableBufferPointer { out in
            let q = q.baseAddress!, kvB = kvB.baseAddress!, lat = lat.baseAddress!, kpe = kpe.baseAddress!
            let ql = ql.baseAddress!, s = s.baseAddress!, ol = ol.baseAddress!, out = out.baseAddress!
            for h in 0..<heads {
                let uk = kvB + h * kvBStride * rank            // [nope × rank]
                let uv = kvB + (h * kvBStride + nope) * rank   // [v × rank]
                // Query into latent space: [tokens × nope] · [nope × rank].
                BLAS.sgemm(.none, .none, m: tokens, n: rank, k: nope, a: q + h * qk, lda: heads * qk, b: uk, ldb: rank, c: ql, ldc: rank)
                // Scores: latent part plus rotary part.
                BLAS.sgemm(.none, .transposed, m: tokens, n: positions, k: rank, a: ql, lda: rank, b: lat, ldb: rank, c: s, ldc: positions)
                BLAS.sgemm(.none, .transposed, m: tokens, n: positions, k: ropeDim, a: q + h * qk + nope, lda: heads * qk,
                           b: kpe, ldb: ropeDim, beta: 1, c: s, ldc: positions)
                for t in 0..<tokens {
                    let row = s + t * positions
                    let visible = start + t + 1
                    let scale = scaling.softmaxScale * scaling.queryScale(position: start + t)
                    for j in 0..<visible { row[j] *= scale }
                    Elementwise.softmax(row, count: visible)
                    for j in visible..<positions { row[j] = 0 }
                }
                // Weighted latent, then out of latent space through this head's value rows.
                BLAS.sgemm(.none, .none, m: tokens, n: rank, k: positions, a: s, lda: positions, b: lat, ldb: rank, c: ol, ldc: rank)
                BLAS.sgemm(.none, .transposed, m: tokens, n: vDim, k: rank, a: ol, lda: rank, b: uv, ldb: rank,
                           c: out + h * vDim, ldc: heads * vDim)
            }
        }}}}}}}}
        return w.oProj.apply(output, tokens: tokens)
    }
}

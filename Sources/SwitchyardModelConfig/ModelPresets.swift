/// Built-in model shapes: the real Mistral Small 4 and two small models of the same structure.
public enum ModelPreset: String, CaseIterable, Sendable {
    /// Mistral-Small-4-119B-2603's published decoder dimensions.
    case mistralSmall4 = "mistral-small-4"
    /// Same structure at small widths: about 0.94 GB of float32 weights; the default of `make run`.
    case mini
    /// Same structure again, small enough for unit tests.
    case tiny

    public var config: ModelConfig {
        switch self {
        case .mistralSmall4:
            // n_group / topk_group as transformers' Mistral4Config defaults them (1 / 1).
            ModelConfig(
                vocabSize: 131_072, hiddenSize: 4096, intermediateSize: 12288, moeIntermediateSize: 2048,
                numHiddenLayers: 36, numAttentionHeads: 32, numKeyValueHeads: 32,
                qLoraRank: 1024, kvLoraRank: 256, qkNopeHeadDim: 64, qkRopeHeadDim: 64, vHeadDim: 128,
                nRoutedExperts: 128, numExpertsPerTok: 4, nSharedExperts: 1, nGroup: 1, topkGroup: 1,
                normTopkProb: true, routedScalingFactor: 1.0, firstKDenseReplace: 0, rmsNormEps: 1e-6,
                maxPositionEmbeddings: 262_144,
                ropeParameters: RopeParameters(
                    ropeType: "yarn", ropeTheta: 10000, factor: 128, originalMaxPositionEmbeddings: 8192,
                    betaFast: 32, betaSlow: 1, mscale: 1, mscaleAllDim: 1, llama4ScalingBeta: 0.1),
                ropeInterleave: true, tieWordEmbeddings: false)
        case .mini:
            ModelConfig(
                vocabSize: 8192, hiddenSize: 384, intermediateSize: 1152, moeIntermediateSize: 192,
                numHiddenLayers: 8, numAttentionHeads: 6, numKeyValueHeads: 6,
                qLoraRank: 128, kvLoraRank: 64, qkNopeHeadDim: 32, qkRopeHeadDim: 32, vHeadDim: 64,
                nRoutedExperts: 128, numExpertsPerTok: 4, nSharedExperts: 1, nGroup: 8, topkGroup: 4,
                normTopkProb: true, routedScalingFactor: 1.0, firstKDenseReplace: 0, rmsNormEps: 1e-6,
                maxPositionEmbeddings: 16384,
                ropeParameters: RopeParameters(
                    ropeType: "yarn", ropeTheta: 10000, factor: 8, originalMaxPositionEmbeddings: 2048,
                    betaFast: 32, betaSlow: 1, mscale: 1, mscaleAllDim: 1, llama4ScalingBeta: 0.1),
                ropeInterleave: true, tieWordEmbeddings: false)
        case .tiny:
            ModelConfig(
                vocabSize: 512, hiddenSize: 64, intermediateSize: 192, moeIntermediateSize: 32,
                numHiddenLayers: 2, numAttentionHeads: 4, numKeyValueHeads: 4,
                qLoraRank: 32, kvLoraRank: 16, qkNopeHeadDim: 16, qkRopeHeadDim: 8, vHeadDim: 16,
                nRoutedExperts: 128, numExpertsPerTok: 4, nSharedExperts: 1, nGroup: 8, topkGroup: 4,
                normTopkProb: true, routedScalingFactor: 1.0, firstKDenseReplace: 0, rmsNormEps: 1e-6,
                maxPositionEmbeddings: 4096,
                ropeParameters: RopeParameters(
                    ropeType: "yarn", ropeTheta: 10000, factor: 4, originalMaxPositionEmbeddings: 64,
                    betaFast: 32, betaSlow: 1, mscale: 1, mscaleAllDim: 1, llama4ScalingBeta: 0.1),
                ropeInterleave: true, tieWordEmbeddings: false)
        }
    }
}

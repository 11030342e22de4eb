import SwitchyardModelConfig

/// What a decoder accepts, from the model both sides run: every count, index and length in a
/// frame is checked against these before anything is allocated.
public struct WireLimits: Equatable, Sendable {
    public var layers: Int
    /// Layers below this one are dense: no dispatch or combine names them.
    public var firstMoELayer: Int
    public var experts: Int
    public var expertsPerToken: Int
    public var hidden: Int
    /// Largest batch a step may route: token indices and counts stay below it.
    public var maxTokens: Int
    public var maxHosts: Int

    /// Longest fingerprint string in a hello, in UTF-8 bytes.
    public static let maxFingerprintBytes = 256
    /// Longest message in an error frame, in UTF-8 bytes; longer messages are cut when encoded.
    public static let maxMessageBytes = 16 * 1024

    public init(layers: Int, firstMoELayer: Int = 0, experts: Int, expertsPerToken: Int, hidden: Int, maxTokens: Int = 65536, maxHosts: Int = 1024) {
        precondition(layers > 0 && experts > 0 && expertsPerToken > 0 && hidden > 0 && maxTokens > 0 && maxHosts > 0, "wire limits must be positive")
        precondition(experts <= Int(UInt32.max) && hidden <= Int(UInt32.max) && maxTokens <= Int(UInt32.max), "wire limits exceed 32 bits")
        self.layers = layers
        self.firstMoELayer = firstMoELayer
        self.experts = experts
        self.expertsPerToken = expertsPerToken
        self.hidden = hidden
        self.maxTokens = maxTokens
        self.maxHosts = maxHosts
    }

    /// The largest single part of any frame these limits admit, in bytes: the header, a hello's,
    /// error's or dispatch's metadata, or a float32 payload of `maxTokens` rows. A ZeroMQ socket
    /// told this (ZMQ_MAXMSGSIZE) drops a peer that sends more before buffering it.
    public var largestPartBytes: Int {
        let dispatchMetadata = WireLayout.dispatchMetadataBytes(tokens: maxTokens, pairs: maxTokens * expertsPerToken)
        let helloMetadata = largestHelloMetadataBytes
        let errorMetadata = 8 + Self.maxMessageBytes
        let payload = WireLayout.payloadBytes(rows: maxTokens, width: hidden, type: .f32)
        return max(WireLayout.headerBytes, dispatchMetadata, helloMetadata, errorMetadata, payload)
    }

    /// A hello's metadata at its longest: counts, resident bytes, run identity, three
    /// fingerprints at their longest, every expert. The decoder refuses more; ZMQ_MAXMSGSIZE admits it.
    public var largestHelloMetadataBytes: Int { 4 + 8 + 8 + 8 + 3 * (4 + Self.maxFingerprintBytes) + 4 * experts }

    /// The largest whole frame, for transports that carry a frame as one message (MPI).
    public var largestFrameBytes: Int {
        WireLayout.dispatchFrameBytes(tokens: maxTokens, pairs: maxTokens * expertsPerToken, hidden: hidden, type: .f32)
    }

    public init(config: ModelConfig, maxTokens: Int = 65536, maxHosts: Int = 1024) {
        self.init(layers: config.numHiddenLayers, firstMoELayer: config.firstKDenseReplace, experts: config.nRoutedExperts,
                  expertsPerToken: config.numExpertsPerTok, hidden: config.hiddenSize, maxTokens: maxTokens, maxHosts: maxHosts)
    }
}

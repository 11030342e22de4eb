import SwitchyardModelConfig

/// What the endpoint serves and the limits every request is checked against.
public struct ServedModel: Sendable {
    /// The name clients pass as `model` and `/v1/models` lists.
    public var name: String
    public var vocabSize: Int
    /// Prompt and generated tokens of one sequence together (the context window).
    public var maxModelLength: Int
    /// Tokens one step may carry to the hosts (the wire's limit, `--max-step-tokens`): a longer
    /// prompt could never be run, and the loop keeps every step under it.
    public var maxStepTokens: Int
    /// The Unix time the server started, for `created` fields.
    public var created: Int

    public init(name: String, vocabSize: Int, maxModelLength: Int, maxStepTokens: Int = 65536, created: Int) {
        self.name = name
        self.vocabSize = vocabSize
        self.maxModelLength = maxModelLength
        self.maxStepTokens = maxStepTokens
        self.created = created
    }

    public init(name: String, config: ModelConfig, maxStepTokens: Int, created: Int) {
        self.init(name: name, vocabSize: config.vocabSize, maxModelLength: config.maxPositionEmbeddings, maxStepTokens: maxStepTokens, created: created)
    }
}

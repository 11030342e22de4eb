import SwitchyardModelConfig

/// What the endpoint serves and the limits every request is checked against.
public struct ServedModel: Sendable {
    /// The name clients pass as `model` and `/v1/models` lists.
    public var name: String
    public var vocabSize: Int
    /// Prompt and generated tokens of one sequence together (the context window).
    public var maxModelLength: Int
    /// The Unix time the server started, for `created` fields.
    public var created: Int

    public init(name: String, vocabSize: Int, maxModelLength: Int, created: Int) {
        self.name = name
        self.vocabSize = vocabSize
        self.maxModelLength = maxModelLength
        self.created = created
    }

    public init(name: String, config: ModelConfig, created: Int) {
        self.init(name: name, vocabSize: config.vocabSize, maxModelLength: config.maxPositionEmbeddings, created: created)
    }
}

import Foundation

/// The lines of a traffic file (docs/TRAFFIC.md) as Codable values. Decoding checks every
/// number against what the ledger will do with it: fixed-width fields by their type, indexes
/// against the file's context (passed in `userInfo[TrafficLine.contextKey]`), sizes against
/// bounds that keep the aggregates' sums from overflowing.
public enum TrafficLine: Sendable, Equatable, Codable {
    case message(TrafficRecord)
    case layer(TrafficLayerLine)
    case step(TrafficStep)

    public static let contextKey = CodingUserInfoKey(rawValue: "switchyard.trafficContext")!
    /// The most bytes one message may claim (64 GiB) and the most a layer line may count per
    /// expert: sums over every record and every (layer, expert) of a file stay below Int.max.
    public static let maxBytes: Int64 = 1 << 36
    public static let maxCount = 1 << 36

    enum TypeKey: String, CodingKey { case type }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: TypeKey.self)
        switch try c.decode(String.self, forKey: .type) {
        case "message": self = .message(try TrafficRecord(from: decoder))
        case "layer": self = .layer(try TrafficLayerLine(from: decoder))
        case "step": self = .step(try TrafficStep(from: decoder))
        case let other: throw DecodingError.dataCorruptedError(forKey: .type, in: c, debugDescription: "\"\(other)\" is not message, layer or step")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: TypeKey.self)
        switch self {
        case let .message(record): try c.encode("message", forKey: .type); try record.encode(to: encoder)
        case let .layer(line): try c.encode("layer", forKey: .type); try line.encode(to: encoder)
        case let .step(step): try c.encode("step", forKey: .type); try step.encode(to: encoder)
        }
    }

    /// The context a line is checked against, from the decoder's user info.
    static func context(_ decoder: Decoder) -> TrafficContext? { decoder.userInfo[contextKey] as? TrafficContext }

    /// `value` when `range` holds it, else a decoding error naming `key`.
    static func checked<K: CodingKey, V: Comparable>(_ value: V, _ range: ClosedRange<V>, _ key: K, in c: KeyedDecodingContainer<K>,
                                                   _ what: String? = nil) throws -> V {
        guard range.contains(value) else {
            throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: what ?? "\(value) is not in \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }
}

extension KeyedDecodingContainer {
    /// An integer field as `T`. Foundation's decoder reports a fractional or out-of-range number
    /// as invalid JSON without its field; this names the field and the number.
    func integer<T: FixedWidthInteger>(_ type: T.Type, forKey key: Key) throws -> T {
        let wide: Int
        do { wide = try decode(Int.self, forKey: key) } catch let error as DecodingError { throw error } catch {
            throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "\(parsedNumber(error)) is not a whole number within 64 bits")
        }
        guard let value = T(exactly: wide) else {
            throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "\(wide) does not fit in \(T.self)")
        }
        return value
    }

    /// A number field, finite.
    func number(forKey key: Key) throws -> Double {
        let value: Double
        do { value = try decode(Double.self, forKey: key) } catch let error as DecodingError { throw error } catch {
            throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "\(parsedNumber(error)) is not a finite number")
        }
        guard value.isFinite else { throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "\(value) is not a finite number") }
        return value
    }
}

/// The number text Foundation's error quotes (`numberIsNotRepresentableInSwift(parsed: "1.5")`).
func parsedNumber(_ error: Error) -> String {
    let text = "\(error)"
    guard let start = text.range(of: "parsed: \""), let end = text[start.upperBound...].firstIndex(of: "\"") else { return "the number" }
    return String(text[start.upperBound..<end])
}

/// The first line: what the file is and the context of its records.
public struct TrafficHeaderLine: Sendable, Equatable, Codable {
    public var schema: String
    public var version: Int
    public var context: TrafficContext

    public init(context: TrafficContext) {
        schema = TrafficJSONL.schema
        version = TrafficJSONL.version
        self.context = context
    }

    enum CodingKeys: String, CodingKey { case schema, version, context }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        schema = try c.decode(String.self, forKey: .schema)
        guard schema == TrafficJSONL.schema else {
            throw DecodingError.dataCorruptedError(forKey: .schema, in: c, debugDescription: "expected \"\(TrafficJSONL.schema)\", found \"\(schema)\"")
        }
        version = try c.integer(Int.self, forKey: .version)
        guard version == TrafficJSONL.version else {
            throw DecodingError.dataCorruptedError(forKey: .version, in: c, debugDescription: "\(version) is not \(TrafficJSONL.version)")
        }
        context = try c.decode(TrafficContext.self, forKey: .context)
    }
}

/// Tokens per expert and the deduplication savings of one layer over the run.
public struct TrafficLayerLine: Sendable, Equatable, Codable {
    public var layer: Int
    public var expertTokens: [Int]
    public var bytesSavedByDeduplication: Int
    /// `[k]`: tokens whose experts were on k nodes; empty when not recorded.
    public var nodesPerToken: [Int]

    public init(layer: Int, expertTokens: [Int], bytesSavedByDeduplication: Int, nodesPerToken: [Int] = []) {
        self.layer = layer
        self.expertTokens = expertTokens
        self.bytesSavedByDeduplication = bytesSavedByDeduplication
        self.nodesPerToken = nodesPerToken
    }

    enum CodingKeys: String, CodingKey {
        case layer, expertTokens = "expert_tokens", bytesSavedByDeduplication = "bytes_saved_by_dedup", nodesPerToken = "nodes_per_token"
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(layer, forKey: .layer)
        try c.encode(expertTokens, forKey: .expertTokens)
        try c.encode(bytesSavedByDeduplication, forKey: .bytesSavedByDeduplication)
        if !nodesPerToken.isEmpty { try c.encode(nodesPerToken, forKey: .nodesPerToken) }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let context = TrafficLine.context(decoder)
        layer = try TrafficLine.checked(c.integer(Int.self, forKey: .layer), 0...((context?.layers ?? Int.max) - 1), .layer, in: c)
        var counts = try c.nestedUnkeyedContainer(forKey: .expertTokens)
        expertTokens = []
        while !counts.isAtEnd {
            do { expertTokens.append(try counts.decode(Int.self)) } catch let error as DecodingError { throw error } catch {
                throw DecodingError.dataCorruptedError(forKey: .expertTokens, in: c, debugDescription: "\(parsedNumber(error)) is not a whole number within 64 bits")
            }
        }
        if let context, expertTokens.count != context.experts {
            throw DecodingError.dataCorruptedError(forKey: .expertTokens, in: c, debugDescription: "\(expertTokens.count) counts for \(context.experts) experts")
        }
        if let bad = expertTokens.first(where: { !(0...TrafficLine.maxCount).contains($0) }) {
            throw DecodingError.dataCorruptedError(forKey: .expertTokens, in: c, debugDescription: "\(bad) is not in 0...\(TrafficLine.maxCount)")
        }
        bytesSavedByDeduplication = try TrafficLine.checked(c.integer(Int.self, forKey: .bytesSavedByDeduplication), 0...TrafficLine.maxCount,
                                                            .bytesSavedByDeduplication, in: c)
        // At most one count per possible number of nodes: 0...hosts.
        nodesPerToken = try c.decodeIfPresent([Int].self, forKey: .nodesPerToken) ?? []
        let most = (context?.hosts ?? TrafficContext.limits.hosts) + 1
        if nodesPerToken.count > most {
            throw DecodingError.dataCorruptedError(forKey: .nodesPerToken, in: c, debugDescription: "\(nodesPerToken.count) counts, more than the \(most) possible numbers of nodes")
        }
        if let bad = nodesPerToken.first(where: { !(0...TrafficLine.maxCount).contains($0) }) {
            throw DecodingError.dataCorruptedError(forKey: .nodesPerToken, in: c, debugDescription: "\(bad) is not in 0...\(TrafficLine.maxCount)")
        }
    }
}

extension TrafficStep: Codable {
    enum CodingKeys: String, CodingKey { case step, seconds, tokens, promptTokens = "prompt_tokens" }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(step, forKey: .step)
        try c.encode(seconds, forKey: .seconds)
        try c.encode(tokens, forKey: .tokens)
        try c.encode(promptTokens, forKey: .promptTokens)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        step = try TrafficLine.checked(c.integer(Int.self, forKey: .step), 0...Int(Int32.max), .step, in: c)
        seconds = try c.number(forKey: .seconds)
        guard seconds.isFinite, seconds >= 0 else { throw DecodingError.dataCorruptedError(forKey: .seconds, in: c, debugDescription: "\(seconds) is not a duration") }
        tokens = try TrafficLine.checked(c.integer(Int.self, forKey: .tokens), 0...TrafficLine.maxCount, .tokens, in: c)
        promptTokens = c.contains(.promptTokens)
            ? try TrafficLine.checked(c.integer(Int.self, forKey: .promptTokens), 0...TrafficLine.maxCount, .promptTokens, in: c) : 0
    }
}

extension TrafficRecord.Kind: Codable {
    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        let name = try c.decode(String.self)
        guard let kind = Self.allCases.first(where: { $0.name == name }) else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "\"\(name)\" is neither dispatch nor combine")
        }
        self = kind
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(name)
    }
}

/// A message line's fields: the record's, plus `source` and `destination`, which follow from the
/// kind and the host and must agree with them.
extension TrafficRecord: Codable {
    enum CodingKeys: String, CodingKey {
        case kind, step, exchange, layer, microBatch = "micro_batch", host, source, destination, tokens, slots
        case payloadBytes = "payload_bytes", wireBytes = "wire_bytes", sendNanos = "send_ns", receiveNanos = "receive_ns"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let context = TrafficLine.context(decoder)
        kind = try c.decode(Kind.self, forKey: .kind)
        step = try c.integer(Int32.self, forKey: .step)
        exchange = try c.integer(UInt64.self, forKey: .exchange)
        layer = try TrafficLine.checked(c.integer(Int32.self, forKey: .layer), 0...Int32(clamping: (context?.layers ?? Int(Int32.max)) - 1), .layer, in: c)
        microBatch = try TrafficLine.checked(c.integer(Int32.self, forKey: .microBatch), 0...Int32.max, .microBatch, in: c)
        host = try TrafficLine.checked(c.integer(Int32.self, forKey: .host), 0...Int32(clamping: (context?.hosts ?? Int(Int32.max)) - 1), .host, in: c)
        tokens = try TrafficLine.checked(c.integer(Int32.self, forKey: .tokens), 0...Int32.max, .tokens, in: c)
        slots = try TrafficLine.checked(c.integer(Int32.self, forKey: .slots), 0...Int32.max, .slots, in: c)
        payloadBytes = try TrafficLine.checked(c.integer(Int64.self, forKey: .payloadBytes), 0...TrafficLine.maxBytes, .payloadBytes, in: c)
        wireBytes = try TrafficLine.checked(c.integer(Int64.self, forKey: .wireBytes), 0...TrafficLine.maxBytes, .wireBytes, in: c)
        sendNanos = try TrafficLine.checked(c.integer(Int64.self, forKey: .sendNanos), 0...Int64.max, .sendNanos, in: c)
        receiveNanos = try TrafficLine.checked(c.integer(Int64.self, forKey: .receiveNanos), 0...Int64.max, .receiveNanos, in: c)
        for (key, stated, derived) in [(CodingKeys.source, try c.contains(.source) ? c.integer(Int.self, forKey: .source) : nil, source),
                                       (.destination, try c.contains(.destination) ? c.integer(Int.self, forKey: .destination) : nil, destination)] {
            if let stated, stated != derived {
                throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "\(stated) does not match a \(kind.name) of host \(host) (\(derived))")
            }
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(kind, forKey: .kind)
        try c.encode(step, forKey: .step)
        try c.encode(exchange, forKey: .exchange)
        try c.encode(layer, forKey: .layer)
        try c.encode(microBatch, forKey: .microBatch)
        try c.encode(host, forKey: .host)
        try c.encode(source, forKey: .source)
        try c.encode(destination, forKey: .destination)
        try c.encode(tokens, forKey: .tokens)
        try c.encode(slots, forKey: .slots)
        try c.encode(payloadBytes, forKey: .payloadBytes)
        try c.encode(wireBytes, forKey: .wireBytes)
        try c.encode(sendNanos, forKey: .sendNanos)
        try c.encode(receiveNanos, forKey: .receiveNanos)
    }
}

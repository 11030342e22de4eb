/// How activations travel: float32; bfloat16 rounded to nearest even (half the bytes); or FP8
/// E4M3 with one float32 scale per 128 values of a row (DeepSeek-V3 and DeepEP's dispatch format:
/// a little over a quarter of the bytes). Coded as its name, as cluster files, traffic files and
/// summary.json write it.
public enum PayloadType: String, CaseIterable, Sendable, Codable {
    case f32
    case bf16
    case fp8

    /// Values one float32 scale covers in an fp8 row.
    public static let fp8ScaleBlock = 128

    /// Bytes of one value, scales aside.
    public var bytesPerValue: Int {
        switch self {
        case .f32: 4
        case .bf16: 2
        case .fp8: 1
        }
    }

    /// Bytes of `rows` rows of `width` values: for fp8, every row's scales (float32, one per
    /// started block of 128) then every row's codes.
    public func payloadBytes(rows: Int, width: Int) -> Int {
        switch self {
        case .f32, .bf16: rows * width * bytesPerValue
        case .fp8: rows * (width + 4 * Self.fp8Blocks(width: width))
        }
    }

    /// Scale blocks of one fp8 row.
    public static func fp8Blocks(width: Int) -> Int { (width + fp8ScaleBlock - 1) / fp8ScaleBlock }

    /// The frame header's code; 0 means the frame has no payload.
    public var wireCode: UInt8 {
        switch self {
        case .f32: 1
        case .bf16: 2
        case .fp8: 3
        }
    }

    public init?(wireCode: UInt8) {
        switch wireCode {
        case 1: self = .f32
        case 2: self = .bf16
        case 3: self = .fp8
        default: return nil
        }
    }
}

/// The payload of each direction: what dispatches carry to the hosts and what their combines
/// carry back. Cluster files, traffic files and summary.json write one name when both are the
/// same (`"bf16"`) and `{"dispatch": "fp8", "combine": "bf16"}` otherwise.
public struct ActivationPayloads: Hashable, Sendable, Codable, CustomStringConvertible {
    public var dispatch: PayloadType
    public var combine: PayloadType

    public init(dispatch: PayloadType, combine: PayloadType) {
        self.dispatch = dispatch
        self.combine = combine
    }

    /// Both directions in one type.
    public init(_ both: PayloadType) { self.init(dispatch: both, combine: both) }

    public static let f32 = ActivationPayloads(.f32)
    public static let bf16 = ActivationPayloads(.bf16)

    /// "bf16", or "fp8 dispatch, bf16 combine".
    public var description: String { dispatch == combine ? dispatch.rawValue : "\(dispatch.rawValue) dispatch, \(combine.rawValue) combine" }

    enum CodingKeys: String, CodingKey { case dispatch, combine }

    public init(from decoder: Decoder) throws {
        let single = try decoder.singleValueContainer()
        if let name = try? single.decode(String.self) {
            guard let both = PayloadType(rawValue: name) else {
                throw DecodingError.dataCorruptedError(in: single, debugDescription: "\"\(name)\" is not a payload type (f32, bf16 or fp8)")
            }
            self.init(both)
            return
        }
        guard let c = try? decoder.container(keyedBy: CodingKeys.self) else {
            throw DecodingError.typeMismatch(ActivationPayloads.self, .init(codingPath: decoder.codingPath,
                                                                            debugDescription: "a payload type name or {\"dispatch\": …, \"combine\": …}"))
        }
        self.init(dispatch: try c.decode(PayloadType.self, forKey: .dispatch), combine: try c.decode(PayloadType.self, forKey: .combine))
    }

    public func encode(to encoder: Encoder) throws {
        if dispatch == combine {
            var single = encoder.singleValueContainer()
            try single.encode(dispatch)
        } else {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(dispatch, forKey: .dispatch)
            try c.encode(combine, forKey: .combine)
        }
    }
}

import SwitchyardCore
import SwitchyardWire

/// Bytes of one exchange message, framed as Switchyard's wire frames it (docs/WIRE.md, `WireLayout`):
/// a dispatch is a header, per token its index and pair count, per (token, expert) pair an expert
/// id and a gate weight, then the tokens' activations; a combine is a header, per token its index,
/// then one partial sum per token. So a traced run and its simulation count the same bytes.
public struct MessageSizing: Sendable, Equatable {
    public var hidden: Int
    public var dispatch: DispatchDType
    public var combine: CombineDType

    public init(hidden: Int, dispatch: DispatchDType, combine: CombineDType) {
        self.hidden = hidden
        self.dispatch = dispatch
        self.combine = combine
    }

    /// A dispatch message carrying `tokens` tokens and `pairs` (token, expert) pairs; 0 when it carries none.
    public func dispatchBytes(tokens: Int, pairs: Int) -> Double {
        guard tokens > 0 else { return 0 }
        return Double(WireLayout.dispatchFrameBytes(tokens: tokens, pairs: pairs, hidden: hidden, type: dispatch.wirePayload))
    }

    /// A combine message carrying one partial sum for each of `tokens` tokens; 0 when it carries none.
    public func combineBytes(tokens: Int) -> Double {
        guard tokens > 0 else { return 0 }
        return Double(WireLayout.combineFrameBytes(tokens: tokens, hidden: hidden, type: combine.wirePayload))
    }
}

extension DispatchDType {
    /// The wire's payload type for these activations (fp8: a byte a value and a float32 scale per
    /// 128, as DeepEP sends them and the wire's fp8 payload carries them).
    public var wirePayload: PayloadType {
        switch self {
        case .bf16: .bf16
        case .fp8: .fp8
        }
    }
}

extension CombineDType {
    /// The wire's payload type for these partial sums (every combine format is one the wire carries).
    public var wirePayload: PayloadType {
        switch self {
        case .bf16: .bf16
        case .fp32: .f32
        }
    }
}

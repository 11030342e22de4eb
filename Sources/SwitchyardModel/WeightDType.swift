/// Number formats a synthetic model or a written checkpoint holds its weights in.
public enum WeightDType: String, Sendable, CaseIterable {
    case f32
    case bf16
    /// FP8 E4M3 with 128×128 block scales for Linear layers' weights (`TensorNames.isFP8Linear`);
    /// the embedding, LM head, router and norms in bf16, as DeepSeek-V3's FP8 release stores them.
    case fp8

    /// The safetensors type of tensors stored whole: everything but an fp8 checkpoint's Linear weights.
    public var plainSafetensors: SafetensorsDType { self == .f32 ? .f32 : .bf16 }
    /// The name transformers writes as config.json's `torch_dtype` (fp8: the unquantised tensors' type).
    public var torchName: String { self == .f32 ? "float32" : "bfloat16" }
}

/// The largest systems a topology file may describe. Far above any machine built so far, low
/// enough that every per-device table, port list and product of sizes stays small and exact.
public enum TopologyBounds {
    public static let gpusPerNode = 1...1024
    public static let nodes = 1...4096
    public static let devices = 1...65536
    public static let nicCount = 1...64
    /// Points of a fabric's `wake_up` curve.
    public static let wakeUpPoints = 1...32
    /// Points of a node's `shared_compute.weight_streaming` curve, and the tokens a call each may name.
    public static let weightStreamingPoints = 1...32
    public static let streamingTokens = 1...65536

    /// The range a quantity of each kind may take, in SI units: tiny positive values would turn
    /// a transfer time into infinity, huge ones an accumulated total.
    static func allowed(_ kind: QuantityKind, allowZero: Bool) -> ClosedRange<Double> {
        switch kind {
        case .bytes: 1...1e15                          // 1 B … 1 PB of memory
        case .bandwidth: 1...1e15                      // 1 B/s … 1 PB/s
        case .throughput: 1...1e19                     // 1 FLOPS … 10 EFLOPS
        case .duration: (allowZero ? 0 : 1e-12)...60   // up to a minute of latency
        }
    }
}

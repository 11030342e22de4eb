import SwitchyardWire
import SwitchyardCore

/// What an expert host does with a dispatch, as a pure function of an expert runner: run each
/// local expert once over all its rows and sum weight × output per token, experts ascending.
public struct HostComputation: Sendable {
    public let host: Int
    public let hidden: Int
    private let isLocal: [Bool]

    public init(placement: Placement, host: Int, hidden: Int) {
        precondition((0..<placement.hostCount).contains(host), "host \(host) is not in the placement")
        self.host = host
        self.hidden = hidden
        var isLocal = [Bool](repeating: false, count: placement.expertCount)
        for expert in placement.experts(of: host) { isLocal[expert] = true }
        self.isLocal = isLocal
    }

    /// Per row of `routes`, the gate-weighted sum of its experts' outputs (`routes.count × hidden`).
    ///
    /// `runExpert(expert, input, rows)` gets `rows × hidden` gathered activations and must return
    /// `rows × hidden` outputs; it is called once per expert with work, in ascending expert order.
    public func partialSums(
        routes: TokenRoutes, activations: [Float],
        runExpert: (_ expert: Int, _ input: [Float], _ rows: Int) throws -> [Float]
    ) throws -> [Float] {
        guard activations.count == routes.count * hidden else {
            throw HostComputationError.wrongActivationCount(expected: routes.count * hidden, received: activations.count)
        }
        var sums = [Float](repeating: 0, count: routes.count * hidden)
        let hidden = hidden
        for work in routes.expertWork {
            guard work.expert < isLocal.count, isLocal[work.expert] else {
                throw HostComputationError.expertNotLocal(expert: work.expert, host: host)
            }
            // Gather the expert's rows, run it once, add weight × output back row by row.
            let input = [Float](unsafeUninitializedCapacity: work.rows.count * hidden) { gathered, initialized in
                activations.withUnsafeBufferPointer { source in
                    for (i, row) in work.rows.enumerated() {
                        (gathered.baseAddress! + i * hidden).update(from: source.baseAddress! + row * hidden, count: hidden)
                    }
                }
                initialized = work.rows.count * hidden
            }
            let output = try runExpert(work.expert, input, work.rows.count)
            guard output.count == input.count else {
                throw HostComputationError.wrongExpertOutput(expert: work.expert, expected: input.count, received: output.count)
            }
            sums.withUnsafeMutableBufferPointer { target in
                output.withUnsafeBufferPointer { result in
                    for (i, row) in work.rows.enumerated() {
                        let weight = work.weights[i]
                        let out = target.baseAddress! + row * hidden, value = result.baseAddress! + i * hidden
                        for j in 0..<hidden { out[j] += weight * value[j] }
                    }
                }
            }
        }
        return sums
    }

    /// The combine frame answering a dispatch frame: same address, this host, the dispatch's payload type.
    public func answer(
        _ frame: WireFrame,
        runExpert: (_ expert: Int, _ input: [Float], _ rows: Int) throws -> [Float]
    ) throws -> WireFrame {
        guard case let .dispatch(dispatch) = frame.body else { throw HostComputationError.notDispatch(kind: frame.kind) }
        guard frame.host == host else { throw HostComputationError.wrongHost(addressed: frame.host, host: host) }
        let sums = try partialSums(routes: dispatch.routes, activations: dispatch.activations.floats, runExpert: runExpert)
        let rows = ActivationRows(rows: dispatch.routes.count, width: hidden, floats: sums, as: dispatch.combineType)
        return WireFrame(address: frame.address, host: host, body: .combine(Combine(tokens: dispatch.routes.tokens, partialSums: rows)))
    }
}

public enum HostComputationError: Error, Equatable, Sendable, CustomStringConvertible {
    case expertNotLocal(expert: Int, host: Int)
    case wrongActivationCount(expected: Int, received: Int)
    case wrongExpertOutput(expert: Int, expected: Int, received: Int)
    case notDispatch(kind: FrameKind)
    case wrongHost(addressed: Int, host: Int)

    public var description: String {
        switch self {
        case let .expertNotLocal(expert, host): "expert \(expert) was sent to host \(host), which does not own it"
        case let .wrongActivationCount(expected, received): "\(received) activations arrived, the routes need \(expected)"
        case let .wrongExpertOutput(expert, expected, received): "expert \(expert) returned \(received) values, expected \(expected)"
        case let .notDispatch(kind): "a \(kind) frame is not a dispatch"
        case let .wrongHost(addressed, host): "a dispatch for host \(addressed) reached host \(host)"
        }
    }
}

import SwitchyardTopology

/// One message of a recorded run, placed on a topology's devices.
public struct TraceMessage: Sendable, Equatable {
    public var exchange: UInt64
    public var step: Int
    public var layer: Int
    public var isDispatch: Bool
    public var sourceDevice: Int
    public var destinationDevice: Int
    public var bytes: Double

    public init(exchange: UInt64, step: Int, layer: Int, isDispatch: Bool, sourceDevice: Int, destinationDevice: Int, bytes: Double) {
        self.exchange = exchange
        self.step = step
        self.layer = layer
        self.isDispatch = isDispatch
        self.sourceDevice = sourceDevice
        self.destinationDevice = destinationDevice
        self.bytes = bytes
    }
}

/// A recorded run's exchanges timed on a topology: each exchange's dispatch, then its combine,
/// through `LinkModel.exchange` with the recorded bytes between the devices the cluster file
/// maps the roles to. Messages between roles on one device cross no link and take no time.
public struct TraceProjection: Sendable {
    public var deviceNames: [String]
    /// Bytes per layer replayed (every message, local ones included).
    public var layerBytes: [Int: Double]
    /// Per step: seconds of dispatches and of combines.
    public var stepSeconds: [Int: (dispatch: Double, combine: Double)]
    /// Bytes from each device (row) to each device (column), over the run; local bytes left out.
    public var pairBytes: [Double]
    public var busiestPort: String?

    public var dispatchSeconds: Double { stepSeconds.values.reduce(0) { $0 + $1.dispatch } }
    public var combineSeconds: Double { stepSeconds.values.reduce(0) { $0 + $1.combine } }

    public init(messages: [TraceMessage], topology: Topology) {
        let links = LinkModel(topology: topology), n = topology.devices.count
        deviceNames = topology.devices.map(\.name)
        layerBytes = [:]
        stepSeconds = [:]
        pairBytes = Array(repeating: 0, count: n * n)
        var portTotals = Array(repeating: 0.0, count: links.ports.count), scratch: [Double] = []
        var groups: [UInt64: [TraceMessage]] = [:]
        for m in messages {
            layerBytes[m.layer, default: 0] += m.bytes
            groups[m.exchange, default: []].append(m)
        }
        for id in groups.keys.sorted() {
            let group = groups[id]!
            for dispatch in [true, false] {
                var pairs = Array(repeating: 0.0, count: n * n)
                for m in group where m.isDispatch == dispatch && m.sourceDevice != m.destinationDevice {
                    pairs[m.sourceDevice * n + m.destinationDevice] += m.bytes
                }
                let time = links.exchange(pairBytes: pairs, portBytes: &scratch)
                for i in scratch.indices { portTotals[i] += scratch[i] }
                for p in pairs.indices { pairBytes[p] += pairs[p] }
                var s = stepSeconds[group[0].step] ?? (0, 0)
                if dispatch { s.dispatch += time.seconds } else { s.combine += time.seconds }
                stepSeconds[group[0].step] = s
            }
        }
        let busiest = portTotals.indices.max { portTotals[$0] / links.ports[$0].capacity < portTotals[$1] / links.ports[$1].capacity }
        busiestPort = busiest.flatMap { portTotals[$0] > 0 ? links.ports[$0].name : nil }
    }
}

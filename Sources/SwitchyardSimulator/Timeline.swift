/// The kinds of work in a step, in the order a layer runs them.
public enum StageKind: String, CaseIterable, Sendable, Codable {
    case attention, routing, shared, dispatch, experts, combine, head
}

/// A resource that runs one task at a time. In colocated mode experts share the attention
/// lane (the same GPUs) and combine shares the dispatch lane (the same ports, both ways).
public enum Lane: Int, CaseIterable, Sendable {
    case attention, experts, dispatch, combine

    public var label: String {
        switch self {
        case .attention: "attention GPUs"
        case .experts: "expert GPUs"
        case .dispatch: "dispatch"
        case .combine: "combine"
        }
    }
}

/// One task of a simulated step.
public struct TimelineTask: Sendable, Equatable {
    public var kind: StageKind
    public var lane: Lane
    public var layer: Int
    public var microBatch: Int
    public var start: Double
    public var end: Double
    public var duration: Double { end - start }
}

/// Lays tasks on lanes: a task starts when its inputs are ready and its lane is free.
struct LaneScheduler {
    private(set) var free = Array(repeating: 0.0, count: Lane.allCases.count)
    private(set) var tasks: [TimelineTask] = []
    var recording = true

    mutating func run(_ kind: StageKind, on lane: Lane, layer: Int, microBatch: Int, ready: Double, duration: Double) -> Double {
        let start = max(ready, free[lane.rawValue])
        let end = start + duration
        free[lane.rawValue] = end
        if recording { tasks.append(TimelineTask(kind: kind, lane: lane, layer: layer, microBatch: microBatch, start: start, end: end)) }
        return end
    }
}

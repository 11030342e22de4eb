import Foundation
import Testing
@testable import SwitchyardTopology

/// `shared_compute.weight_streaming`: read, bounded and checked like every other field, interpolated
/// by tokens a call, and charged in expectation over how a host's slots split over its experts.
@Suite struct WeightStreamingTests {
    func withCurve(_ points: Any) -> [String: Any] {
        var object = validTopology()
        set(&object, ["nodes", "0", "shared_compute"], ["memory_bandwidth": "8 GB/s", "throughput": "40 GFLOPS", "weight_streaming": points])
        return object
    }

    func curveError(_ points: Any) -> TopologyError? {
        do { _ = try decode(withCurve(points)); return nil } catch let error as TopologyError { return error } catch { return nil }
    }

    /// 8 GB/s at 1 token a call, 4 GB/s at 4, 3.5 GB/s at 8.
    let curve = WeightStreaming(points: [.init(tokens: 1, bytesPerSecond: 8e9), .init(tokens: 4, bytesPerSecond: 4e9), .init(tokens: 8, bytesPerSecond: 3.5e9)])

    @Test func readsTheCurveInSIUnits() throws {
        let t = try decode(withCurve([["tokens": 1, "memory_bandwidth": "8 GB/s"], ["tokens": 4, "memory_bandwidth": "4000 MB/s"]]))
        let shared = try #require(t.nodes[0].sharedCompute)
        #expect(shared.streaming == WeightStreaming(points: [.init(tokens: 1, bytesPerSecond: 8e9), .init(tokens: 4, bytesPerSecond: 4e9)]))
    }

    @Test func absentMeansOneRate() throws {
        var object = validTopology()
        set(&object, ["nodes", "0", "shared_compute"], ["memory_bandwidth": "8 GB/s", "throughput": "40 GFLOPS"])
        #expect(try decode(object).nodes[0].sharedCompute?.streaming == nil)
        for name in TopologyPresets.names {
            let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("topologies")
            let t = try Topology.load(contentsOf: directory.appendingPathComponent("\(name).json"))
            #expect(t.nodes.allSatisfy { $0.sharedCompute?.streaming == nil }, "\(name)")
        }
    }

    @Test func badCurvesNameTheField() {
        let path = "$.nodes[0].shared_compute.weight_streaming"
        #expect(curveError([Any]()) == TopologyError(file: "t.json", path: path, problem: "is empty: give at least one point, or leave weight_streaming out"))
        #expect(curveError("8 GB/s")?.path == path)
        let unordered = curveError([["tokens": 4, "memory_bandwidth": "4 GB/s"], ["tokens": 2, "memory_bandwidth": "5 GB/s"]])
        #expect(unordered?.path == "\(path)[1].tokens" && unordered?.problem.contains("increasing tokens") == true)
        #expect(curveError([["tokens": 2, "memory_bandwidth": "4 GB/s"], ["tokens": 2, "memory_bandwidth": "5 GB/s"]])?.path == "\(path)[1].tokens")
        #expect(curveError([["tokens": 0, "memory_bandwidth": "4 GB/s"]])?.path == "\(path)[0].tokens")
        #expect(curveError([["tokens": 1.5, "memory_bandwidth": "4 GB/s"]])?.path == "\(path)[0].tokens")
        #expect(curveError([["tokens": 65537, "memory_bandwidth": "4 GB/s"]])?.path == "\(path)[0].tokens")
        #expect(curveError([["tokens": 1, "memory_bandwidth": "-4 GB/s"]])?.path == "\(path)[0].memory_bandwidth")
        #expect(curveError([["tokens": 1, "memory_bandwidth": "4 GFLOPS"]])?.problem.contains("wrong unit") == true)
        #expect(curveError([["tokens": 1]]) == TopologyError(file: "t.json", path: "\(path)[0].memory_bandwidth", problem: "is missing"))
        #expect(curveError([["tokens": 1, "memory_bandwidth": "4 GB/s", "threads": 2]])?.path == "\(path)[0].threads")
        let many = (1...33).map { ["tokens": $0, "memory_bandwidth": "1 GB/s"] as [String: Any] }
        #expect(curveError(many) == TopologyError(file: "t.json", path: path, problem: "has 33 points, more than the 32 allowed"))
        #expect(curveError(Array(many.prefix(32))) == nil)
    }

    @Test func interpolatesLinearlyInTokens() {
        #expect(curve.bytesPerSecond(tokens: 0.5) == 8e9)
        #expect(curve.bytesPerSecond(tokens: 1) == 8e9)
        // A third of the way from 1 to 4: 8 − 4/3 GB/s.
        #expect(abs(curve.bytesPerSecond(tokens: 2) - (8e9 - 4e9 / 3)) < 1)
        #expect(curve.bytesPerSecond(tokens: 4) == 4e9)
        #expect(abs(curve.bytesPerSecond(tokens: 6) - 3.75e9) < 1)
        #expect(curve.bytesPerSecond(tokens: 16) == 3.5e9, "the last point's beyond it")
    }

    @Test func expectationOverTheSplit() {
        // One rate: experts touched over it, e · (1 − (1 − 1/e)^s) / rate.
        let flat = WeightStreaming(points: [.init(tokens: 1, bytesPerSecond: 2e9)])
        #expect(abs(16 * flat.expectedSecondsPerByte(slots: 4, experts: 16) - 16 * (1 - pow(15.0 / 16, 4)) / 2e9) < 1e-20)
        #expect(flat.expectedSecondsPerByte(slots: 0, experts: 16) == 0)
        // Two slots over two experts: P(1) = 1/2 at 1 B/s, P(2) = 1/4 at 0.5 B/s → 0.5 + 0.5 = 1 s a byte.
        let steep = WeightStreaming(points: [.init(tokens: 1, bytesPerSecond: 1), .init(tokens: 2, bytesPerSecond: 0.5)])
        #expect(abs(steep.expectedSecondsPerByte(slots: 2, experts: 2) - 1) < 1e-12)
        // One expert: every slot on it, one call of s tokens.
        #expect(abs(curve.expectedSecondsPerByte(slots: 4, experts: 1) - 1 / 4e9) < 1e-24)
        // A long prompt: (1 − 1/e)^s underflows, every expert gets past the last point.
        #expect(abs(curve.expectedSecondsPerByte(slots: 200_000, experts: 16) - 1 / 3.5e9) < 1e-22)
    }
}

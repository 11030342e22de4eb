import Foundation
import Testing
@testable import SwitchyardTopology

/// `scale_up.wake_up`: read, bounded and checked like every other field, interpolated by the gap,
/// and derived from cold round trips by the calibration.
@Suite struct WakeUpCostsTests {
    func withWakeUp(_ points: Any) -> [String: Any] {
        var object = validTopology()
        set(&object, ["scale_up", "wake_up"], points)
        return object
    }

    func wakeUpError(_ points: Any) -> TopologyError? {
        do { _ = try decode(withWakeUp(points)); return nil } catch let error as TopologyError { return error } catch { return nil }
    }

    let curve = WakeUpCosts(points: [.init(idleSeconds: 1e-3, latencySeconds: 20e-6, messageSeconds: 5e-6),
                                     .init(idleSeconds: 4e-3, latencySeconds: 110e-6, messageSeconds: 11e-6)])

    @Test func readsTheCurveInSIUnits() throws {
        let t = try decode(withWakeUp([["idle": "1 ms", "latency": "20 us", "message_cost": "5 us"],
                                       ["idle": 4000, "latency": "110000 ns", "message_cost": "0.011 ms"]]))
        let points = t.scaleUp.wakeUp.points
        try #require(points.count == 2)
        #expect(abs(points[0].idleSeconds - 1e-3) < 1e-15 && abs(points[0].latencySeconds - 20e-6) < 1e-15)
        #expect(abs(points[1].idleSeconds - 4e-3) < 1e-15, "a bare number is microseconds")
        #expect(abs(points[1].messageSeconds - 11e-6) < 1e-15)
    }

    @Test func absentMeansNothingToWake() throws {
        #expect(try decode(validTopology()).scaleUp.wakeUp == .none)
        #expect(WakeUpCosts.none.seconds(idleSeconds: 1, messages: 8) == 0)
        for name in TopologyPresets.names {
            let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("topologies")
            #expect(try Topology.load(contentsOf: directory.appendingPathComponent("\(name).json")).scaleUp.wakeUp == .none, "\(name)")
        }
    }

    @Test func badCurvesNameTheField() {
        #expect(wakeUpError([Any]()) == TopologyError(file: "t.json", path: "$.scale_up.wake_up",
                                                      problem: "is empty: give at least one point, or leave wake_up out"))
        #expect(wakeUpError("1 ms")?.path == "$.scale_up.wake_up")
        let unordered = wakeUpError([["idle": "2 ms", "latency": 0, "message_cost": 0], ["idle": "1 ms", "latency": 0, "message_cost": 0]])
        #expect(unordered?.path == "$.scale_up.wake_up[1].idle" && unordered?.problem.contains("increasing idle time") == true)
        let repeated = wakeUpError([["idle": "2 ms", "latency": 0, "message_cost": 0], ["idle": "2 ms", "latency": 0, "message_cost": 0]])
        #expect(repeated?.path == "$.scale_up.wake_up[1].idle")
        #expect(wakeUpError([["idle": 0, "latency": 0, "message_cost": 0]]) == TopologyError(file: "t.json", path: "$.scale_up.wake_up[0].idle",
                                                                                            problem: "must be positive, got 0"))
        #expect(wakeUpError([["idle": "1 ms", "latency": "-5 us", "message_cost": 0]]) == TopologyError(
            file: "t.json", path: "$.scale_up.wake_up[0].latency", problem: "must not be negative, got \"-5 us\""))
        #expect(wakeUpError([["idle": "1 ms", "latency": 0]]) == TopologyError(file: "t.json", path: "$.scale_up.wake_up[0].message_cost", problem: "is missing"))
        #expect(wakeUpError([["idle": "1 ms", "latency": 0, "message_cost": 0, "per_host": 1]])?.path == "$.scale_up.wake_up[0].per_host")
        #expect(wakeUpError([["idle": "2 min", "latency": 0, "message_cost": 0]])?.problem.contains("wrong unit") == true)
        #expect(wakeUpError([["idle": "61 s", "latency": 0, "message_cost": 0]])?.problem.contains("outside") == true)
        let many = (1...33).map { ["idle": "\($0) ms", "latency": 0, "message_cost": 0] as [String: Any] }
        #expect(wakeUpError(many) == TopologyError(file: "t.json", path: "$.scale_up.wake_up", problem: "has 33 points, more than the 32 allowed"))
        #expect(wakeUpError(Array(many.prefix(32))) == nil)
    }

    @Test func costIsLinearInTheGapBetweenPoints() {
        // Back to back: nothing; half way to the first point: half its costs.
        #expect(curve.seconds(idleSeconds: 0, messages: 8) == 0)
        #expect(abs(curve.seconds(idleSeconds: 0.5e-3, messages: 8) - (10e-6 + 8 * 2.5e-6)) < 1e-15)
        #expect(abs(curve.seconds(idleSeconds: 1e-3, messages: 8) - (20e-6 + 8 * 5e-6)) < 1e-15)
        // A third of the way from 1 ms to 4 ms: latency 50 µs, 7 µs a message.
        #expect(abs(curve.seconds(idleSeconds: 2e-3, messages: 8) - (50e-6 + 8 * 7e-6)) < 1e-15)
        // Beyond the last point, and the run's first exchange (idle since the handshake): the last point's.
        #expect(abs(curve.seconds(idleSeconds: 9, messages: 8) - (110e-6 + 8 * 11e-6)) < 1e-15)
        #expect(curve.seconds(idleSeconds: .infinity, messages: 8) == curve.seconds(idleSeconds: 4e-3, messages: 8))
        #expect(curve.seconds(idleSeconds: 2e-3, messages: 0) == 0, "nothing dispatched, nobody to wake")
    }

    @Test func calibrationSplitsTheExtraTimeIntoLatencyAndPerHost() throws {
        typealias Cold = MachineCalibration.ColdTiming
        // After 1 ms: one host 30 µs over back to back (two sizes: 25 and 35 µs), eight hosts 100 µs.
        // message (100 − 30) / 7 = 10 µs, latency 30 − 10 = 20 µs. After 4 ms only the ping-pong: no point.
        let pingPong = [Cold(idleSeconds: 1e-3, seconds: 125e-6, hotSeconds: 100e-6), Cold(idleSeconds: 1e-3, seconds: 235e-6, hotSeconds: 200e-6),
                        Cold(idleSeconds: 4e-3, seconds: 300e-6, hotSeconds: 100e-6)]
        let burst = [Cold(idleSeconds: 1e-3, seconds: 900e-6, hotSeconds: 800e-6)]
        let wakeUp = MachineCalibration.wakeUp(pingPong: pingPong, burst: burst, hosts: 8)
        try #require(wakeUp.points.count == 1)
        #expect(abs(wakeUp.points[0].idleSeconds - 1e-3) < 1e-15)
        #expect(abs(wakeUp.points[0].messageSeconds - 10e-6) < 1e-12)
        #expect(abs(wakeUp.points[0].latencySeconds - 20e-6) < 1e-12)

        // Noise that makes the burst look faster cold than hot: clipped to no cost per host, the ping-pong's extra kept.
        let faster = MachineCalibration.wakeUp(pingPong: pingPong, burst: [Cold(idleSeconds: 1e-3, seconds: 700e-6, hotSeconds: 800e-6)], hosts: 8)
        #expect(faster.points.first?.messageSeconds == 0)
        #expect(abs((faster.points.first?.latencySeconds ?? 0) - 30e-6) < 1e-12)
        #expect(MachineCalibration.wakeUp(pingPong: [], burst: burst, hosts: 8) == .none)
    }

    @Test func calibratedFileCarriesTheCurve() throws {
        let link = MachineCalibration.Link(latencySeconds: 20e-6, messageSeconds: 50e-6, tokenSeconds: 1e-6,
                                           linkBytesPerSecond: 100e6, sharedBytesPerSecond: 400e6)
        let experts = MachineCalibration.Experts(memoryBytesPerSecond: 5e9, flops: 20e9, sharedMemoryBytesPerSecond: 8e9, sharedFLOPS: 40e9)
        let object = MachineCalibration.topology(name: "c", description: "d", devices: 8, memoryBytes: 16e9, experts: experts,
                                                 fabricName: "ipc", link: link, wakeUp: curve)
        let t = try Topology.decode(JSONSerialization.data(withJSONObject: object), file: "c.json")
        try #require(t.scaleUp.wakeUp.points.count == 2)
        for (read, written) in zip(t.scaleUp.wakeUp.points, curve.points) {
            #expect(abs(read.idleSeconds - written.idleSeconds) < 1e-12)
            #expect(abs(read.latencySeconds - written.latencySeconds) < 1e-12)
            #expect(abs(read.messageSeconds - written.messageSeconds) < 1e-12)
        }
        // Without a curve the field is left out, as before.
        let plain = MachineCalibration.topology(name: "c", description: "d", devices: 8, memoryBytes: 16e9, experts: experts, fabricName: "ipc", link: link)
        #expect((plain["scale_up"] as? [String: Any])?["wake_up"] == nil)
    }
}

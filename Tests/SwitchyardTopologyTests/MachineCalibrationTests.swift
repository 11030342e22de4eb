import Foundation
import Testing
@testable import SwitchyardTopology

/// The calibration's fits against hand-computed values, and the file it writes read back.
@Suite struct MachineCalibrationTests {
    typealias Timing = MachineCalibration.Timing

    @Test func planeRecoversExactCosts() throws {
        // seconds = 100 µs + 10 ns a byte + 2 µs a token, at two row widths (8 and 64 bytes a token).
        let points = [(800.0, 100.0), (1600, 200), (6400, 100), (12800, 200), (3200, 400)].map { bytes, tokens in
            Timing(bytes: bytes, tokens: tokens, seconds: 100e-6 + 10e-9 * bytes + 2e-6 * tokens)
        }
        let fit = try #require(MachineCalibration.plane(points))
        #expect(abs(fit.intercept - 100e-6) < 1e-12)
        #expect(abs(fit.perByte - 10e-9) < 1e-15)
        #expect(abs(fit.perToken - 2e-6) < 1e-12)
    }

    @Test func planeNeedsTwoRowWidths() {
        // Bytes and tokens in one proportion: the two costs cannot be told apart.
        let points = [1.0, 2, 4, 8].map { Timing(bytes: 768 * $0, tokens: $0, seconds: 1e-4 + 1e-6 * $0) }
        #expect(MachineCalibration.plane(points) == nil)
        #expect(MachineCalibration.plane(Array(points.prefix(2))) == nil)
    }

    @Test func linkFromPingPongAndBurst() throws {
        // Hand-made: latency 20 µs, 50 µs a message, 1 µs a token; one link 100 MB/s, all 400 MB/s.
        // A round trip of k messages each way: 2·20 + 2·k·50 µs + bytes / bandwidth + tokens · 1 µs.
        func round(_ k: Double, _ bandwidth: Double, _ bytes: Double, _ tokens: Double) -> Timing {
            Timing(bytes: bytes, tokens: tokens, seconds: 40e-6 + 2 * k * 50e-6 + bytes / bandwidth + tokens * 1e-6)
        }
        let sizes = [(1000.0, 10.0), (2000, 20), (8000, 10), (16000, 20), (4000, 40)]
        let link = try MachineCalibration.link(pingPong: sizes.map { round(1, 100e6, $0.0, $0.1) },
                                               burst: sizes.map { round(8, 400e6, 8 * $0.0, 8 * $0.1) }, hosts: 8)
        // Intercepts 140 µs and 840 µs: message (840 − 140) / 14 = 50 µs; latency 140 / 2 − 50 = 20 µs.
        #expect(abs(link.messageSeconds - 50e-6) < 1e-10)
        #expect(abs(link.latencySeconds - 20e-6) < 1e-10)
        #expect(abs(link.tokenSeconds - 1e-6) < 1e-10)
        #expect(abs(link.linkBytesPerSecond - 100e6) < 1)
        #expect(abs(link.sharedBytesPerSecond - 400e6) < 1)
    }

    @Test func aNegativeTokenCostFallsBackToBytesAlone() throws {
        // Noise that makes records look free: 10 ns a byte, records "saving" time; the line on bytes is kept.
        let points = [(1000.0, 10.0), (2000, 20), (8000, 10), (16000, 20)].map { Timing(bytes: $0.0, tokens: $0.1, seconds: 1e-4 + 1e-8 * $0.0 - 1e-7 * $0.1) }
        let fit = try MachineCalibration.robustPlane(points, "burst")
        #expect(fit.perToken == 0)
        #expect(fit.perByte > 0)
        let bytesOnly = try #require(MachineCalibration.plane(points.map { Timing(bytes: $0.bytes, tokens: 0, seconds: $0.seconds) }, bytesOnly: true))
        #expect(fit == bytesOnly)
    }

    @Test func flatTimesAreRefused() {
        let flat = [(1000.0, 10.0), (2000, 20), (8000, 10)].map { Timing(bytes: $0.0, tokens: $0.1, seconds: 1e-3 - $0.0 * 1e-9) }
        #expect(throws: MachineCalibration.FitError.notIncreasing("ping-pong")) {
            try MachineCalibration.link(pingPong: flat, burst: flat, hosts: 8)
        }
    }

    @Test func writtenFileReadsBackAsTheMeasuredMachine() throws {
        let link = MachineCalibration.Link(latencySeconds: 20e-6, messageSeconds: 50e-6, tokenSeconds: 1e-6,
                                           linkBytesPerSecond: 100e6, sharedBytesPerSecond: 400e6)
        let experts = MachineCalibration.Experts(memoryBytesPerSecond: 5e9, flops: 20e9, sharedMemoryBytesPerSecond: 8e9, sharedFLOPS: 40e9)
        let object = MachineCalibration.topology(name: "calibrated-test", description: "d", devices: 8, memoryBytes: 16e9,
                                                 experts: experts, fabricName: "ZeroMQ ipc (measured)", link: link)
        let t = try Topology.decode(JSONSerialization.data(withJSONObject: object), file: "c.json")
        #expect(t.devices.count == 8)
        #expect(t.nodes[0].sharedCompute == SharedCompute(memoryBytesPerSecond: 8e9, flops: 40e9))
        #expect(t.devices[0].model.hbmBytesPerSecond == 5e9)
        #expect(t.devices[0].model.denseFLOPS[.bf16] == 20e9)
        #expect(t.scaleUp.aggregateBytesPerSecond == 400e6)
        // Each device's port no slower than the shared one.
        #expect(t.scaleUp.bytesPerSecondEachWay == 400e6)
        #expect(abs(t.scaleUp.costs.messageSeconds - 50e-6) < 1e-15)
        #expect(abs(t.scaleUp.costs.tokenSeconds - 1e-6) < 1e-15)
        #expect(abs(t.scaleUp.latencySeconds - 20e-6) < 1e-12)
        #expect(t.achievable == .peak)
        #expect(t.nodes[0].sharedCompute?.streaming == nil, "no curve measured, none written")
    }

    @Test func writtenStreamingCurveReadsBack() throws {
        let link = MachineCalibration.Link(latencySeconds: 20e-6, messageSeconds: 50e-6, tokenSeconds: 1e-6,
                                           linkBytesPerSecond: 100e6, sharedBytesPerSecond: 400e6)
        let points = [WeightStreaming.Point(tokens: 1, bytesPerSecond: 8e9), .init(tokens: 4, bytesPerSecond: 3.7e9), .init(tokens: 16, bytesPerSecond: 3.5e9)]
        let experts = MachineCalibration.Experts(memoryBytesPerSecond: 5e9, flops: 20e9, sharedMemoryBytesPerSecond: 8e9, sharedFLOPS: 40e9,
                                                 sharedStreaming: points)
        let object = MachineCalibration.topology(name: "calibrated-test", description: "d", devices: 8, memoryBytes: 16e9,
                                                 experts: experts, fabricName: "ZeroMQ ipc (measured)", link: link)
        let t = try Topology.decode(JSONSerialization.data(withJSONObject: object), file: "c.json")
        #expect(t.nodes[0].sharedCompute?.streaming == WeightStreaming(points: points))
    }

    @Test func significantDigits() {
        #expect(MachineCalibration.significant(178563.2) == "178563")
        #expect(MachineCalibration.significant(12.3456) == "12.35")
        #expect(MachineCalibration.significant(0.00123456) == "0.001235")
        #expect(MachineCalibration.significant(0) == "0")
    }
}

import Foundation
import Testing
import SwitchyardTestSupport

/// `topology calibrate --out`: a short real measurement whose file `topology show` and
/// `simulate` accept. No timing is asserted (the machine is shared); `make bench` prints the ratios.
@Suite struct TopologyCalibrateTests {
    let switchyard = TestProducts.executable("switchyard")
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized.path

    @Test func writesATopologyThatShowAndSimulateAccept() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("calibrate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("calibrated.json").path
        let calibrate = try Subprocess.run(switchyard, ["topology", "calibrate", "--out", file, "--hosts", "2", "--tokens", "128",
                                                        "--repetitions", "3", "--transports", "zmq-ipc", "--json"], directory: root,
                                                        // A real measurement, in a debug build, beside the other suites: minutes on a busy 2-core machine.
                                                        timeout: .seconds(600))
        #expect(calibrate.status == 0, "\(calibrate.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(calibrate.stdout.utf8)) as! [String: Any]
        let link = try #require((report["transports"] as? [[String: Any]])?.first)
        #expect(link["transport"] as? String == "zmq-ipc")
        #expect((link["shared_bytes_per_second"] as? Double ?? 0) > 0)
        // The cold sweeps ran: every gap of each, beside its back-to-back row.
        #expect((link["cold_burst"] as? [[String: Any]])?.isEmpty == false)
        #expect(link["wake_up"] is [Any])

        let show = try Subprocess.run(switchyard, ["topology", "show", file, "--json"], directory: root)
        #expect(show.status == 0, "\(show.stderr)")
        let topology = try JSONSerialization.jsonObject(with: Data(show.stdout.utf8)) as! [String: Any]
        #expect(topology["gpus"] as? Int == 2)
        // ZeroMQ measured as runs use it by default: with CURVE, and the file says so.
        #expect(report["security"] as? String == "curve")
        let written = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file))) as! [String: Any]
        #expect((written["scale_up"] as? [String: Any])?["name"] as? String == "ZeroMQ ipc with CURVE (measured)")

        // A trace whose roles stand on the calibrated machine's two devices.
        let trace = folder.appendingPathComponent("traffic.jsonl")
        try """
        {"schema":"switchyard-traffic","version":1,"context":{"hosts":2,"layers":8,"experts":128,"hidden":384,"payload":"bf16","transport":"zmq","coordinator_device":{"node":0,"gpu":0},"host_devices":[{"node":0,"gpu":0},{"node":0,"gpu":1}]}}
        {"type":"message","kind":"dispatch","step":0,"exchange":1,"layer":0,"micro_batch":0,"host":0,"source":0,"destination":1,"tokens":2,"slots":2,"payload_bytes":1536,"wire_bytes":1632,"send_ns":1000,"receive_ns":0}
        {"type":"message","kind":"dispatch","step":0,"exchange":1,"layer":0,"micro_batch":0,"host":1,"source":0,"destination":2,"tokens":2,"slots":2,"payload_bytes":1536,"wire_bytes":1632,"send_ns":1000,"receive_ns":0}
        {"type":"message","kind":"combine","step":0,"exchange":1,"layer":0,"micro_batch":0,"host":0,"source":1,"destination":0,"tokens":2,"slots":2,"payload_bytes":1536,"wire_bytes":1608,"send_ns":0,"receive_ns":3001000}
        {"type":"message","kind":"combine","step":0,"exchange":1,"layer":0,"micro_batch":0,"host":1,"source":2,"destination":0,"tokens":2,"slots":2,"payload_bytes":1536,"wire_bytes":1608,"send_ns":0,"receive_ns":2001000}

        """.write(to: trace, atomically: true, encoding: .utf8)
        let simulate = try Subprocess.run(switchyard, ["simulate", "--model", "mini", "--topology", file, "--weights", "f32",
                                                       "--routing", "trace:\(folder.path)", "--json"], directory: root)
        #expect(simulate.status == 0, "\(simulate.stderr)")
        let result = try JSONSerialization.jsonObject(with: Data(simulate.stdout.utf8)) as! [String: Any]
        // The measured span: first dispatch sent (1 µs) → last combine received (3.001 ms).
        #expect(result["measured_in_flight_seconds"] as? Double == 3e-3)
        #expect((result["in_flight_seconds"] as? Double ?? 0) > 0)
        #expect((result["expert_compute_seconds_per_step"] as? Double ?? 0) > 0)
        // Per step, the same span and prediction with its parts: the one step is the whole run.
        let step = try #require((result["per_step"] as? [[String: Any]])?.first)
        #expect(step["step"] as? Int == 0 && step["measured_seconds"] as? Double == 3e-3)
        let predicted = try #require(step["predicted_seconds"] as? Double)
        #expect(abs(predicted - (result["in_flight_seconds"] as? Double ?? 0)) <= 1e-12)
        let parts = ["dispatch_seconds", "expert_compute_seconds", "combine_seconds", "wake_up_seconds"].map { step[$0] as? Double ?? -1 }
        #expect(parts.allSatisfy { $0 >= 0 } && abs(parts.reduce(0, +) - predicted) <= 1e-9 * predicted)
    }

    @Test func badFlagsExit2() throws {
        for (flags, message) in [(["--hosts", "1"], "--hosts"), (["--transports", "carrier-pigeon"], "carrier-pigeon"),
                                 (["--transports", "zmq-ipc", "--fabric", "mpi"], "--fabric mpi"), (["--security", "tls"], "--security")] {
            let result = try Subprocess.run(switchyard, ["topology", "calibrate", "--out", "/tmp/never-written.json"] + flags, directory: root)
            #expect(result.status == 2, "\(flags)")
            #expect(result.stderr.contains(message), "\(result.stderr)")
        }
        // Nowhere to write: refused before measuring, with the one writer's message.
        let unwritable = try Subprocess.run(switchyard, ["topology", "calibrate", "--out", "/no-such-dir/c.json"], directory: root)
        #expect(unwritable.status == 2)
        #expect(unwritable.stderr.contains("cannot write /no-such-dir/c.json: no such directory"), "\(unwritable.stderr)")
    }
}

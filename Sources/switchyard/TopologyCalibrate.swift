import ArgumentParser
import Foundation
import SwitchyardCluster
import SwitchyardCore
import SwitchyardLaunch
import SwitchyardModelConfig
import SwitchyardTopology

struct TopologyCalibrate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calibrate",
        abstract: "Measure this machine's transports and expert kernels and write a topology file describing it.",
        // ArgumentParser prints the usage line unwrapped: this one fits 80 columns.
        usage: "switchyard topology calibrate --out <file> [<options>]",
        discussion: """
        Each transport is timed with bench alltoall's echo hosts (real processes,
        real frames): a ping-pong with one host and a burst with --hosts hosts, over
        token counts 1, 2, 4, … --tokens at the model's hidden size and at 8 × that
        width. Least-squares fits of the round trips on
        bytes and token records give the latency, the cost of each further message,
        of each token record, and the bandwidth of one link and of all at once.
        Both are timed again at up to 4 tokens a host after idle gaps of 0.25 to 8
        ms (the hosts asleep, as after a run's coordinator computed a layer): the
        time over back to back gives the wake-up curve, a cost per exchange and
        per host woken at each gap.
        The expert kernels run alone and in --hosts processes at once, the latter
        also streaming weights at 1, 2, 4, 8 and 16 tokens a call in rounds, as a
        run's hosts do (woken, top-k experts each, answer, sleep). The file
        names one node of --hosts devices (processes) sharing the CPU, with the
        --fabric transport as its scale-up fabric; simulate --routing
        trace:RUN_DIR on it predicts a run's exchanges in flight
        (docs/SIMULATOR.md).

        ZeroMQ is measured with CURVE, as switchyard run's links are by default
        (--security none for clusters that say "security": "none").

        Example: switchyard topology calibrate --out .build/calibrated.json
        Defaults: model mini, 8 hosts, 256 tokens, 10 repetitions, transports
        zmq-ipc,zmq-tcp,mpi, fabric zmq-ipc, security curve.
        """
    )

    @Option(help: "Where to write the topology file.") var out: String
    @Option(help: "Model preset or config.json: the hidden and expert sizes measured.") var model = "mini"
    @Option(help: "Expert hosts of the burst and devices in the file: the processes a run puts on this machine.") var hosts = 8
    @Option(help: "Largest token count of each sweep.") var tokens = 256
    @Option(help: "Timed exchanges per size, and passes over the experts.") var repetitions = 10
    @Option(help: "Transports to measure, comma-separated: zmq-ipc, zmq-tcp, mpi.") var transports = "zmq-ipc,zmq-tcp,mpi"
    @Option(help: "The measured transport the file's scale-up fabric describes.") var fabric: CalibrationRun.Transport = .zmqIPC
    @Option(help: "ZeroMQ links measured with curve (as switchyard run's are by default) or none (plaintext, as a cluster file's \"security\": \"none\").")
    var security: ClusterSecurity = .curve
    @Option(help: JSONOption.help) var json: String?

    func validate() throws {
        try FlagBounds.check([("--hosts", hosts, 2...256), ("--tokens", tokens, 4...4096), ("--repetitions", repetitions, 1...1000)])
        let chosen = try transportList()
        guard chosen.contains(fabric) else { throw ValidationError("--fabric \(fabric.rawValue) must be one of --transports (\(transports))") }
    }

    func transportList() throws -> [CalibrationRun.Transport] {
        let names = transports.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
        guard !names.isEmpty else { throw ValidationError("--transports names none") }
        return try names.map { name in
            guard let t = CalibrationRun.Transport(rawValue: name) else {
                throw ValidationError("--transports: \"\(name)\" is not one of \(CalibrationRun.Transport.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return t
        }
    }

    func run() throws {
        // A minute of measuring is not spent on a file that cannot be written: its folder must be there.
        let folder = URL(fileURLWithPath: out).deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw FileWriteError(path: out, errno: isDirectory.boolValue || !FileManager.default.fileExists(atPath: folder) ? ENOENT : ENOTDIR)
        }
        let config = try ModelArgument.load(model)
        let calibration = CalibrationRun(hosts: hosts, hidden: config.hiddenSize, intermediate: config.moeIntermediateSize,
                                         experts: config.nRoutedExperts, topk: config.numExpertsPerTok, tokens: tokens, repetitions: repetitions,
                                         security: security)
        let executable = try ChildProcess.currentExecutable()
        var links: [CalibrationRun.LinkMeasurement] = []
        for transport in try transportList() {
            do { links.append(try calibration.measure(transport, executable: executable)) } catch let error as MachineCalibration.FitError {
                throw LaunchFailure("\(transport.rawValue): \(error.description)")
            }
        }
        var experts = calibration.measureExperts()
        (experts.sharedMemoryBytesPerSecond, experts.sharedFLOPS, experts.sharedStreaming) = try calibration.measureSharedExperts(executable: executable)
        let chosen = links.first { $0.transport == fabric }!
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let summary = links.map { m in
            "\(m.transport.rawValue) \(Self.us(m.link.latencySeconds)) latency, \(Self.us(m.link.messageSeconds)) a message, \(Self.us(m.link.tokenSeconds)) a token, "
                + "\(Self.mbps(m.link.linkBytesPerSecond)) one link, \(Self.mbps(m.link.sharedBytesPerSecond)) all links, "
                + "\(Self.us(wakeUp(m, idle: 1e-3))) to wake \(hosts) hosts after 1 ms idle"
        }.joined(separator: "; ")
        let name = "calibrated-" + (ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "machine")
        let description = "This machine (\(cores) cores) measured by switchyard topology calibrate with \(hosts) host processes, "
            + "\(config.hiddenSize)-wide activations, ZeroMQ \(security == .curve ? "with CURVE" : "in plaintext"): \(summary)"
        let object = MachineCalibration.topology(name: name, description: description, devices: hosts,
                                                 memoryBytes: Double(ProcessInfo.processInfo.physicalMemory), experts: experts,
                                                 fabricName: fabric.fabricName(security: security), link: chosen.link, wakeUp: chosen.wakeUp)
        try OutputFile.write(try JSONStyle.data(object), to: out)
        // What was written must read back as a topology: the file is the product.
        let topology = try Topology.load(contentsOf: URL(fileURLWithPath: out))

        let report: [String: Any] = [
            "out": out, "topology": topology.name, "hosts": hosts, "hidden": config.hiddenSize, "fabric": fabric.rawValue, "security": security.rawValue,
            "transports": links.map { m -> [String: Any] in
                ["transport": m.transport.rawValue, "latency_seconds": m.link.latencySeconds, "message_seconds": m.link.messageSeconds,
                 "token_seconds": m.link.tokenSeconds,
                 "link_bytes_per_second": m.link.linkBytesPerSecond, "shared_bytes_per_second": m.link.sharedBytesPerSecond,
                 "ping_pong": m.pingPong.map { ["bytes": $0.bytes, "tokens": $0.tokens, "round_trip_seconds": $0.seconds] },
                 "burst": m.burst.map { ["bytes": $0.bytes, "tokens": $0.tokens, "round_trip_seconds": $0.seconds] },
                 "wake_up": m.wakeUp.points.map { ["idle_seconds": $0.idleSeconds, "latency_seconds": $0.latencySeconds, "message_seconds": $0.messageSeconds] },
                 "cold_ping_pong": m.coldPingPong.map { ["idle_seconds": $0.idleSeconds, "round_trip_seconds": $0.seconds, "back_to_back_seconds": $0.hotSeconds] },
                 "cold_burst": m.coldBurst.map { ["idle_seconds": $0.idleSeconds, "round_trip_seconds": $0.seconds, "back_to_back_seconds": $0.hotSeconds] }]
            },
            "experts": ["memory_bytes_per_second": experts.memoryBytesPerSecond, "flops_per_second": experts.flops,
                        "shared_memory_bytes_per_second": experts.sharedMemoryBytesPerSecond, "shared_flops_per_second": experts.sharedFLOPS,
                        "shared_weight_streaming": experts.sharedStreaming.map { ["tokens": $0.tokens, "bytes_per_second": $0.bytesPerSecond] }],
        ]
        if try JSONOption.write(report, to: json) { return }
        print("\(name): \(hosts) host processes on \(cores) cores, \(config.hiddenSize)-wide bf16 activations, \(repetitions) repetitions, "
              + "ZeroMQ \(security == .curve ? "with CURVE" : "in plaintext")")
        print(Table(header: ["transport", "latency", "per message", "per token", "one link", "all links"], rows: links.map { m in
            [m.transport.rawValue + (m.transport == fabric ? " (fabric)" : ""), Self.us(m.link.latencySeconds), Self.us(m.link.messageSeconds),
             Self.us(m.link.tokenSeconds), Self.mbps(m.link.linkBytesPerSecond), Self.mbps(m.link.sharedBytesPerSecond)]
        }, rightAligned: [1, 2, 3, 4, 5]).render())
        print("")
        // What waking the hosts adds to an exchange after each idle gap: one host, and all of them.
        let gaps = CalibrationRun.idleGapsMicroseconds
        print(Table(header: ["wake-up after idle"] + gaps.map { Self.us(Double($0) * 1e-6) }, rows: links.flatMap { m in
            [[m.transport.rawValue + ", 1 host"] + gaps.map { Self.us(wakeUp(m, idle: Double($0) * 1e-6, hosts: 1)) },
             [m.transport.rawValue + ", \(hosts) hosts"] + gaps.map { Self.us(wakeUp(m, idle: Double($0) * 1e-6)) }]
        }, rightAligned: Set(1...gaps.count)).render())
        print("")
        print(Table(header: ["expert kernels", "alone", "\(hosts) at once"], rows: [
            ["weights streamed", Self.mbps(experts.memoryBytesPerSecond), Self.mbps(experts.sharedMemoryBytesPerSecond)],
            ["float32 products", String(format: "%.2f GFLOP/s", experts.flops / 1e9), String(format: "%.2f GFLOP/s", experts.sharedFLOPS / 1e9)],
        ] + experts.sharedStreaming.dropFirst().map { p in
            ["weights streamed, \(p.tokens) tokens a call", "", Self.mbps(p.bytesPerSecond)]
        }, rightAligned: [1, 2]).render())
        print("wrote \(out)")
    }

    /// Seconds waking `hosts` (all the burst's when nil) adds to an exchange after `idle` seconds.
    func wakeUp(_ m: CalibrationRun.LinkMeasurement, idle: Double, hosts: Int? = nil) -> Double {
        m.wakeUp.seconds(idleSeconds: idle, messages: Double(hosts ?? self.hosts))
    }

    static func us(_ seconds: Double) -> String { String(format: "%.1f µs", seconds * 1e6) }
    static func mbps(_ bytesPerSecond: Double) -> String { String(format: "%.1f MB/s", bytesPerSecond / 1e6) }
}

extension CalibrationRun.Transport: ExpressibleByArgument {}

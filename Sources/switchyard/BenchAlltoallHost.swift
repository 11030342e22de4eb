import ArgumentParser
import Foundation
import SwitchyardProtocol
import SwitchyardRuntime
import SwitchyardTransport
import SwitchyardTraffic
import SwitchyardWire

/// One echo host of `bench alltoall --transport zmq`, started by it as a child process.
struct BenchAlltoallHost: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alltoall-host",
        abstract: "An echo host of bench alltoall: answers each dispatch with its rows negated and rotated by host + 1 columns.",
        shouldDisplay: false
    )

    @Option var endpoint: String
    @Option var host: Int
    @Option var hosts: Int
    @Option var tokens: Int
    @Option var hidden: Int
    @Option var experts: Int
    @Option var topk: Int
    @Option var dtype: BenchAlltoall.DType
    @Option var trafficOut: String
    @Option var parentPid: Int32?

    func run() throws {
        let transport = try ZeroMQHostTransport(endpoint: endpoint, host: host)
        defer { transport.close() }
        let recorder = TrafficRecorder(context: TrafficContext(hosts: hosts, layers: 1, experts: experts, hidden: hidden, payload: dtype == .f32 ? .f32 : .bf16, transport: .zmq, writer: host))
        let limits = WireLimits(layers: 1, experts: experts, expertsPerToken: topk, hidden: hidden, maxTokens: tokens)
        let parent = parentPid
        _ = try AlltoallEcho(host: host, transport: transport, limits: limits, traffic: recorder)
            .serve(shouldStop: { parent.map { getppid() != $0 } ?? false })
        try TrafficRun.write(recorder.ledger, host: host, into: URL(fileURLWithPath: trafficOut))
    }
}

import ArgumentParser
import Foundation
import SwitchyardLaunch

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
    @Option var curveKeys: String?

    func run() throws {
        let bench = AlltoallBench(transport: .zmq, hosts: hosts, tokens: tokens, hidden: hidden, experts: experts, topk: topk,
                                  payload: dtype == .f32 ? .f32 : .bf16)
        try bench.serveEchoProcess(host: host, endpoint: endpoint, trafficDirectory: URL(fileURLWithPath: trafficOut), parentPid: parentPid,
                                     security: try curveKeys.map { try AlltoallBench.curveSecurity(host: host, folder: $0) })
    }
}

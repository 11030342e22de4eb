import Foundation
import Testing
import SwitchyardCluster
import SwitchyardLaunch
import SwitchyardModel
import SwitchyardModelConfig
import SwitchyardRuntime
import SwitchyardTraffic

/// `switchyard run` through the library, in process: threads as hosts, a tiny model, a real run directory.
@Suite struct ClusterRunTests {
    let weights = WeightChoice.synthetic(model: "tiny", seed: 5, dtype: .f32)

    /// The tokens the single-process model generates for the same requests: the reference.
    func singleProcessOutputs(_ workload: Workload) throws -> [Int: [Int]] {
        let (config, source) = try weights.load()
        let model = Mistral4Model(weights: try Mistral4Weights(config: config, source: source))
        let experts = LocalExperts(weights: try RoutedExpertWeights(config: config, source: source, owned: Array(0..<config.nRoutedExperts)),
                                   hiddenSize: config.hiddenSize)
        let requests = WorkloadRunner.syntheticRequests(count: workload.requests, promptTokens: workload.promptTokens,
                                                        newTokens: workload.newTokens, vocabSize: config.vocabSize)
        return try WorkloadRunner(model: model, experts: experts).run(requests, maxBatch: workload.maxBatch).outputs
    }

    @Test(arguments: [1, 3])
    func anInProcessRunWritesItsSummaryAndEveryHostsLedger(hosts: Int) throws {
        let folder = try ClusterFolder(hosts: hosts)
        defer { folder.remove() }
        let out = folder.url.appendingPathComponent("run")
        let workload = Workload(requests: 3, promptTokens: 5, newTokens: 4, maxBatch: 2, out: out.path, quiet: true)
        var progressCalls = 0
        let outcome = try ClusterRun.run(settings: try ClusterSettings(path: folder.file, transportOverride: .inproc), weights: weights,
                                         workload: workload, progress: { _, _, _ in progressCalls += 1 })
        let summary = outcome.summary
        #expect(summary.transport == .inproc && summary.hosts.count == hosts)
        #expect(summary.generatedTokens == 12 && progressCalls == summary.steps)
        let expected = try singleProcessOutputs(workload)
        #expect(Dictionary(uniqueKeysWithValues: summary.outputs.map { ($0.request, $0.generated) }) == expected)

        // summary.json on disk is what the run returned.
        let written = try RunSummary.decode(try Data(contentsOf: outcome.summaryFile), file: outcome.summaryFile.path)
        #expect(written == summary)
        for name in ["traffic.jsonl", "traffic.csv", "report.html"] {
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(name).path), "\(name)")
        }
        // Each host's own ledger: written by the host, naming it, and holding one dispatch
        // received for every dispatch the coordinator sent it.
        let coordinator = try TrafficJSONL.decode(try Data(contentsOf: out.appendingPathComponent("traffic.jsonl")), file: "traffic.jsonl")
        for host in 0..<hosts {
            let file = out.appendingPathComponent("traffic-host-\(host).jsonl")
            let ledger = try TrafficJSONL.decode(try Data(contentsOf: file), file: file.path)
            #expect(ledger.context.writer == host && ledger.context.transport == .inproc)
            let sent = coordinator.records.filter { $0.host == host && $0.kind == .dispatch }.count
            let received = ledger.records.filter { $0.kind == .dispatch }.count
            #expect(sent > 0 && received == sent, "host \(host): sent \(sent), received \(received)")
        }
        // The summary's layer totals are the coordinator's ledger, counted per layer.
        #expect(summary.layers.reduce(0) { $0 + $1.dispatchBytes } == coordinator.records.filter { $0.kind == .dispatch }.reduce(0) { $0 + Int($1.wireBytes) })
    }

    @Test func aWorkloadOutOfRangeIsRefusedBeforeAnythingStarts() throws {
        let folder = try ClusterFolder(hosts: 2)
        defer { folder.remove() }
        let out = folder.url.appendingPathComponent("never")
        let workload = Workload(requests: 0, out: out.path)
        #expect(throws: LaunchInputError("--requests must be in 1...100000, got 0")) {
            try ClusterRun.run(settings: try ClusterSettings(path: folder.file, transportOverride: .inproc), weights: weights, workload: workload)
        }
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }

    @Test func mpirunIsRefusedForAnInProcessCluster() throws {
        let folder = try ClusterFolder(hosts: 2)
        defer { folder.remove() }
        let settings = try ClusterSettings(path: folder.file, transportOverride: .inproc)
        #expect(throws: LaunchInputError("--launcher mpirun needs the mpi transport, not inproc")) {
            try ClusterRun.run(settings: settings, weights: weights, workload: Workload(out: folder.url.appendingPathComponent("run").path), launcher: .mpirun)
        }
    }

    @Test func theCoordinatorCommandConnectsOverZeroMQOnly() throws {
        let folder = try ClusterFolder(hosts: 2)
        defer { folder.remove() }
        let settings = try ClusterSettings(path: folder.file, transportOverride: .inproc)
        #expect(throws: LaunchInputError.self) { try ClusterRun.coordinate(settings: settings, weights: weights, workload: Workload()) }
    }

    @Test func anUnknownModelNamesTheFlag() {
        #expect(throws: LaunchInputError.self) { try WeightChoice.synthetic(model: "no-such-model", seed: 0, dtype: .f32).load() }
        #expect(WeightChoice.synthetic(model: "tiny", seed: 7, dtype: .bf16).arguments == ["--model", "tiny", "--seed", "7", "--dtype", "bf16"])
        #expect(WeightChoice.checkpoint(path: "/ck").arguments == ["--checkpoint", "/ck"])
    }
}

import Foundation
import SwitchyardCore
import SwitchyardModelConfig
import SwitchyardTraffic

/// How one run records its traffic, in one place: the context every ledger of the run shares
/// (the coordinator's and each host's differ only in `writer`), and the run directory the ledgers
/// are written into (docs/TRAFFIC.md). Threads, processes and MPI ranks all record through it.
public struct RunTraffic: Sendable {
    /// The coordinator's context; a host's is the same with `writer` set.
    public let context: TrafficContext
    /// Where ledgers are written; nil records in memory only.
    public let directory: URL?

    public init(context: TrafficContext, directory: URL? = nil) {
        var context = context
        context.writer = nil
        self.context = context
        self.directory = directory
    }

    /// A model's run over `hosts` hosts; devices, cluster and topology files as the cluster file names them.
    public init(config: ModelConfig, hosts: Int, payload: ActivationPayloads, transport: TrafficContext.Transport,
                coordinatorDevice: DevicePosition = DevicePosition(node: 0, gpu: 0), hostDevices: [DevicePosition]? = nil,
                cluster: String? = nil, topology: String? = nil, directory: URL? = nil) {
        self.init(context: TrafficContext(hosts: hosts, layers: config.numHiddenLayers, experts: config.nRoutedExperts, hidden: config.hiddenSize,
                                          payload: payload, transport: transport, coordinatorDevice: coordinatorDevice,
                                          hostDevices: hostDevices, cluster: cluster, topology: topology),
                  directory: directory)
    }

    /// The context of the ledger `writer` keeps: nil the coordinator, k expert host k.
    public func context(writer: Int?) -> TrafficContext {
        var context = self.context
        context.writer = writer
        return context
    }

    public func recorder(writer: Int?) -> TrafficRecorder { TrafficRecorder(context: context(writer: writer)) }

    /// Writes the ledger into the run directory, if the run has one.
    public func write(_ ledger: TrafficLedger) throws {
        guard let directory else { return }
        try Self.write(ledger, into: directory)
    }

    /// Writes a ledger under the name its writer gives it, creating the directory if missing.
    public static func write(_ ledger: TrafficLedger, into directory: URL) throws {
        try OutputFile.makeDirectory(directory.path)
        let file = directory.appendingPathComponent(TrafficJSONL.fileName(writer: ledger.context.writer))
        try OutputFile.write(try TrafficJSONL.encode(ledger), to: file.path)
    }

    /// Every host's records from its file in `directory`; a missing file is an error naming it.
    public static func hostRecords(in directory: URL, hosts: Int) throws -> [TrafficRecord] {
        try (0..<hosts).flatMap { host -> [TrafficRecord] in
            let file = directory.appendingPathComponent(TrafficJSONL.fileName(writer: host))
            guard let data = FileManager.default.contents(atPath: file.path) else {
                throw TrafficFileError("\(file.path): not found; expert host \(host) did not write its ledger")
            }
            return try TrafficJSONL.decode(data, file: file.path).records
        }
    }
}

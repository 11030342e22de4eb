import Foundation
import SwitchyardCluster
import SwitchyardModel
import SwitchyardRuntime
import SwitchyardTraffic

/// `switchyard run` and `switchyard coordinator`: a cluster's workload from start to stop.
public enum ClusterRun {
    public enum Launcher: String, CaseIterable, Sendable { case local, mpirun }

    /// Whether the run goes through mpirun: asked for, or the transport is MPI.
    public static func usesMPI(_ settings: ClusterSettings, launcher: Launcher) -> Bool {
        launcher == .mpirun || settings.transport == .mpi
    }

    /// Starts the cluster's hosts (threads, child processes of `executable`, or mpirun ranks),
    /// serves the workload, stops every host and renders the run directory, decided here once
    /// for every process of the run. `announce` gets the mpirun line before it runs. On SIGINT or
    /// SIGTERM (local launcher) the workload stops at the next step boundary, the directory is
    /// written marked interrupted, the hosts are stopped, and `RunInterrupted` is thrown.
    public static func run(settings: ClusterSettings, weights: WeightChoice, workload: Workload, launcher: Launcher = .local,
                           executable: String? = nil, announce: (String) -> Void = { _ in },
                           progress: (Int, Int, Int) -> Void = { _, _, _ in }) throws -> WorkloadOutcome {
        try workload.validate()
        try checkFaults(workload, settings)
        let directory = try RunDirectory.start(workload.out)
        var workload = workload
        workload.out = directory.path
        if usesMPI(settings, launcher: launcher) {
            guard settings.transport != .inproc else { throw LaunchInputError("--launcher mpirun needs the mpi transport, not inproc") }
            let settings = try settings.overMPI()
            let launch = MPILaunch(settings: settings, weights: weights, workload: workload, executable: try executable ?? ChildProcess.currentExecutable())
            announce(MPILaunch.shellText(launch.commandLine))
            try MPILaunch.execute(launch.commandLine)
            let report = try TrafficRun.render(directory)
            let file = directory.appendingPathComponent("summary.json")
            guard let data = FileManager.default.contents(atPath: file.path) else { throw LaunchFailure("\(file.path): the MPI job wrote no summary") }
            return WorkloadOutcome(summary: try RunSummary.decode(data, file: file.path), directory: directory, summaryFile: file, reportFile: report)
        }
        let interruption = RunInterruption.installed()
        defer { interruption.finish() }
        let (config, source) = try weights.load()
        let model = Mistral4Model(weights: try Mistral4Weights(config: config, source: source))
        let coordinator = try CoordinatorCluster.launch(settings, weights: weights, config: config, source: source,
                                                        trafficDirectory: directory, hostExecutable: executable, faults: workload.faults)
        let injector = coordinator.processes.map { FaultInjector(faults: workload.faults, processes: $0) }
        let outcome: WorkloadOutcome
        do {
            outcome = try ClusterWorkload.run(model: model, experts: coordinator.experts, spec: settings.spec, transport: coordinator.transport,
                                              weights: source.fingerprint, workload: workload, directory: directory, faults: injector,
                                              interruption: interruption, progress: progress)
        } catch {
            coordinator.stop()
            throw error
        }
        // The hosts write their own ledgers as they stop; the report then has both ends' times.
        coordinator.stop()
        try TrafficRun.render(directory)
        try checkInterrupted(outcome, interruption)
        return outcome
    }

    /// An interrupted run's directory is written: lets the waiting signal handler go on, and says so.
    static func checkInterrupted(_ outcome: WorkloadOutcome, _ interruption: RunInterruption) throws {
        guard outcome.summary.interrupted == true, let signal = interruption.requested else { return }
        interruption.finish()
        throw RunInterrupted(signal: signal, directory: outcome.directory)
    }

    /// The coordinator against hosts already running (ZeroMQ): serves the workload, then shuts
    /// the hosts down unless `keepHosts`. Hosts that refuse the handshake are left running.
    public static func coordinate(settings: ClusterSettings, weights: WeightChoice, workload: Workload, keepHosts: Bool = false,
                                  progress: (Int, Int, Int) -> Void = { _, _, _ in }) throws -> WorkloadOutcome {
        guard settings.transport == .zmq else {
            throw LaunchInputError("the coordinator command connects over ZeroMQ; for MPI use switchyard run --launcher mpirun, for inproc switchyard run")
        }
        try workload.validate()
        try checkFaults(workload, settings)
        if let fault = workload.faults.first(where: { $0.step != nil }) {
            throw LaunchInputError("--inject \(fault): the coordinator did not start the hosts, so it cannot kill or stop them; use switchyard run")
        }
        let directory = try RunDirectory.start(workload.out)
        let interruption = RunInterruption.installed()
        defer { interruption.finish() }
        let (config, source) = try weights.load()
        let model = Mistral4Model(weights: try Mistral4Weights(config: config, source: source))
        let coordinator = try CoordinatorCluster.connect(settings, config: config, source: source)
        do { try coordinator.handshake(timeout: settings.handshakeTimeout) } catch {
            // Hosts that refused, or never answered, are not ours to stop.
            coordinator.disconnectOnly()
            throw error
        }
        let outcome: WorkloadOutcome
        do {
            outcome = try ClusterWorkload.run(model: model, experts: coordinator.experts, spec: settings.spec, transport: .zmq,
                                              weights: source.fingerprint, workload: workload, directory: directory,
                                              interruption: interruption, progress: progress)
        } catch {
            keepHosts ? coordinator.disconnectOnly() : coordinator.stop()
            throw error
        }
        keepHosts ? coordinator.disconnectOnly() : coordinator.stop()
        try checkInterrupted(outcome, interruption)
        return outcome
    }

    /// Every injected fault names a host of the cluster.
    static func checkFaults(_ workload: Workload, _ settings: ClusterSettings) throws(LaunchInputError) {
        for fault in workload.faults {
            do { try fault.check(hosts: settings.spec.hosts.count) } catch { throw LaunchInputError(error.description) }
        }
    }
}

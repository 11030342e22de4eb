import Logging
import Foundation
import Testing
import SwitchyardCluster
import SwitchyardLaunch

@Suite struct MPILaunchTests {
    @Test func aLocalJobRunsEveryRankOnLoopback() throws {
        let folder = try ClusterFolder(hosts: 3, transport: "mpi", ranks: [0, 1, 2, 3])
        defer { folder.remove() }
        let settings = try ClusterSettings(path: folder.file, handshakeTimeout: .seconds(20), exchangeTimeout: .seconds(30))
        let launch = MPILaunch(settings: settings, weights: .synthetic(model: "tiny", seed: 2, dtype: .f32),
                               workload: Workload(requests: 2, out: "/runs/x"), executable: "/bin/switchyard")
        let line = launch.commandLine
        #expect(Array(line.prefix(3)) == ["mpirun", "-np", "4"])
        let job = try #require(line.firstIndex(of: "/bin/switchyard"))
        #expect(Array(line[job...]) == ["/bin/switchyard", "mpi-job", "--cluster", folder.file, "--handshake-timeout", "20", "--exchange-timeout", "30",
                                        "--log-level", "info", "--model", "tiny", "--seed", "2", "--dtype", "f32",
                                        "--requests", "2", "--prompt-tokens", "16", "--new-tokens", "16", "--max-batch", "8", "--out", "/runs/x"])
        #expect(line.contains("--oversubscribe") && !line.contains("--hostfile"))
        #expect(line.contains("--allow-run-as-root") == (getuid() == 0))
    }

    @Test func aHostfileMapsRanksSlotBySlot() {
        let line = MPILaunch.mpirun(ranks: 9, hostfile: "/etc/hosts.mpi", asRoot: false)
        #expect(line == ["mpirun", "-np", "9", "--hostfile", "/etc/hosts.mpi", "--map-by", "slot"])
        #expect(MPILaunch.mpirun(ranks: 2, hostfile: nil, asRoot: true).contains("--allow-run-as-root"))
        #expect(MPILaunch.shellText(["mpirun", "a b", "c"]) == "mpirun 'a b' c")
    }

    @Test func ranksFollowTheClusterFileOrDefaultToHostPlusOne() throws {
        let plain = try ClusterFolder(hosts: 3)
        defer { plain.remove() }
        let ranks = MPIRank.ranks(try ClusterSpec.load(path: plain.file))
        #expect(ranks.coordinator == 0 && ranks.hosts == [1, 2, 3])
        let named = try ClusterFolder(hosts: 3, transport: "mpi", ranks: [0, 3, 1, 2])
        defer { named.remove() }
        let given = MPIRank.ranks(try ClusterSpec.load(path: named.file))
        #expect(given.coordinator == 0 && given.hosts == [3, 1, 2])
    }

    @Test func zeroMQEndpointsAreRequiredForAZeroMQLaunch() throws {
        let folder = try ClusterFolder(hosts: 2)
        defer { folder.remove() }
        let settings = try ClusterSettings(path: folder.file)
        #expect(try settings.zmqEndpoints() == ["ipc://\(folder.url.path)/h0", "ipc://\(folder.url.path)/h1"])
        #expect(settings.hostArguments == ["--cluster", folder.file, "--log-level", "warning"])
        #expect(try ClusterSettings(path: folder.file, transportOverride: .inproc).hostArguments
                == ["--cluster", folder.file, "--transport", "inproc", "--log-level", "warning"])
    }

    /// A launcher's hosts log at warning, so eight hosts do not repeat its start and stop lines,
    /// unless it asked for more detail than info: then they get what it got.
    @Test func hostsLogAtWarningUnlessTheLauncherWantsMoreDetail() throws {
        let folder = try ClusterFolder(hosts: 2)
        defer { folder.remove() }
        var settings = try ClusterSettings(path: folder.file)
        for (level, hosts) in [(Logger.Level.trace, Logger.Level.trace), (.debug, .debug), (.info, .warning), (.notice, .warning),
                               (.warning, .warning), (.error, .error), (.critical, .critical)] {
            settings.logLevel = level
            #expect(settings.hostLogLevel == hosts, "\(level)")
            #expect(settings.hostArguments.suffix(2) == ["--log-level", hosts.rawValue])
        }
    }
}

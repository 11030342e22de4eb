import Foundation
import Testing
import SwitchyardTestSupport

/// Several machines, tested on one: expert hosts in network namespaces of their own, joined by a
/// bridge, reached over TCP by a coordinator in a third, first as ZeroMQ daemons, then as ranks
/// that mpirun starts through an rsh agent, the way a multi-node launch does. Needs root and
/// `ip netns`; says why and skips otherwise.
@Suite(.serialized, .enabled("needs root and `ip netns`", { NamespaceNetwork.isAvailable }))
struct NetworkNamespaceTests {
    let switchyard = TestProducts.executable("switchyard")
    let mpiEnvironment = ["OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1"]
    /// The coordinator's machine and two machines of two expert hosts each; host k lives on `hostNodes[k]`.
    let machines = [(name: "c", address: "10.77.0.1"), (name: "a", address: "10.77.0.2"), (name: "b", address: "10.77.0.3")]
    let hostNodes = ["a", "a", "b", "b"]
    let workload = ["--model", "tiny", "--requests", "3", "--prompt-tokens", "5", "--new-tokens", "4", "--max-batch", "2"]

    func folder() throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("sy-netns-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url.path
    }

    func address(of node: String) -> String { machines.first { $0.name == node }!.address }

    /// Expert hosts listening on their machine's address, ports 5601…; the topology stands for nodes
    /// 0 and 1 of four. With `curve`, every role has a key pair from `switchyard keygen` in keys/;
    /// without, the file says `"security": "none"`. `replicas` hosts hold each expert.
    /// With `hierarchical`, a relay per machine listens at its address, port 5690.
    func zmqClusterFile(in folder: String, replicas: Int = 1, curve: Bool = true, hierarchical: Bool = false, hostNodes: [String]? = nil) throws -> String {
        let hostNodes = hostNodes ?? self.hostNodes
        func key(_ name: String) throws -> String {
            guard curve else { return "" }
            if !FileManager.default.fileExists(atPath: folder + "/keys/\(name).key") {
                let made = try Subprocess.run(switchyard, ["keygen", "--out", folder + "/keys", "--name", name])
                guard made.status == 0 else { throw NamespaceNetworkError(description: "keygen: \(made.stderr)") }
            }
            return #", "public_key": "keys/\#(name).key""#
        }
        let hosts = try hostNodes.enumerated().map { host, node in
            #"{"endpoint": "tcp://\#(address(of: node)):\#(5601 + host)", "device": {"node": \#(node == "a" ? 0 : 1), "gpu": \#(host % hostNodes.filter { $0 == node }.count)}\#(try key("host-" + String(host)))}"#
        }
        let relays = try ["a", "b"].enumerated().map { relay, node in
            #"{"endpoint": "tcp://\#(address(of: node)):5690", "device": {"node": \#(relay), "gpu": 0}\#(try key("relay-" + String(relay)))}"#
        }
        let exchange = hierarchical ? #", "exchange": "hierarchical", "relays": [\#(relays.joined(separator: ", "))]"# : #", "exchange": "direct""#
        let json = """
        {"topology": "hgx-h100-x4.json", "transport": "zmq", "payload": "f32", "replicas": \(replicas)\(curve ? "" : #", "security": "none""#)\(exchange),
         "coordinator": {"endpoint": "tcp://\(address(of: "c")):5600", "device": {"node": 0, "gpu": 0}\(try key("coordinator"))},
         "hosts": [\(hosts.joined(separator: ", "))]}
        """
        let file = folder + (curve ? "/zmq" : "/zmq-plaintext") + (hierarchical ? "-hierarchical.json" : ".json")
        try json.write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    /// The same cluster as MPI ranks, and the hostfile that puts rank 0 on the coordinator's
    /// machine and ranks 1…4 (hosts 0…3) two to a machine.
    func mpiClusterFile(in folder: String) throws -> String {
        let hosts = hostNodes.enumerated().map { host, node in
            #"{"rank": \#(host + 1), "device": {"node": \#(node == "a" ? 0 : 1), "gpu": \#(host % 2)}}"#
        }
        let json = """
        {"topology": "hgx-h100-x4.json", "transport": "mpi", "payload": "f32", "hostfile": "hosts",
         "coordinator": {"rank": 0, "device": {"node": 0, "gpu": 0}},
         "hosts": [\(hosts.joined(separator: ", "))]}
        """
        let slots = machines.map { machine in "\(machine.address) slots=\(machine.name == "c" ? 1 : hostNodes.filter { $0 == machine.name }.count)" }
        try (slots.joined(separator: "\n") + "\n").write(toFile: folder + "/hosts", atomically: true, encoding: .utf8)
        let file = folder + "/mpi.json"
        try json.write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    /// A temporary folder of `node`'s own. Machines do not share /tmp, and Open MPI relies on it:
    /// daemons on one /tmp race to create the job's session directory and one fails.
    func temporaryFolder(of node: NamespaceNetwork.Node, in folder: String) throws -> String {
        let path = folder + "/tmp-" + node.name
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Open MPI's rsh agent for machines that are namespaces. mpirun calls it as
    /// `agent [options] HOST COMMAND…`, like ssh; it runs COMMAND in HOST's namespace, with HOST's
    /// temporary folder, and logs HOST.
    func rshAgent(in folder: String, network: NamespaceNetwork) throws -> String {
        let cases = try network.nodes.map { "  \($0.address)) ns=\($0.namespace) tmp=\(try temporaryFolder(of: $0, in: folder)) ;;" }
        let script = """
        #!/bin/sh
        while [ $# -gt 0 ]; do case "$1" in -*) shift ;; *) break ;; esac; done
        host=$1; shift
        echo "$host" >> \(folder)/agent.log
        case "$host" in
        \(cases.joined(separator: "\n"))
          *) echo "rsh agent: no namespace for $host" >&2; exit 255 ;;
        esac
        export TMPDIR="$tmp"
        exec \(network.ip) netns exec "$ns" /bin/sh -c "$*"

        """
        let file = folder + "/rsh-agent"
        try script.write(toFile: file, atomically: true, encoding: .utf8)
        chmod(file, 0o755)
        return file
    }

    /// Each request's generated tokens, by request, from a run directory's summary.json.
    func generated(_ runDirectory: String) throws -> [[Int]] {
        let data = try Data(contentsOf: URL(fileURLWithPath: runDirectory + "/summary.json"))
        let summary = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let outputs = try #require(summary["outputs"] as? [[String: Any]])
        return outputs.sorted { ($0["request"] as! Int) < ($1["request"] as! Int) }.map { $0["generated"] as! [Int] }
    }

    func dispatchedBytes(_ runDirectory: String) throws -> Int {
        let data = try Data(contentsOf: URL(fileURLWithPath: runDirectory + "/summary.json"))
        let summary = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        return (summary["layers"] as! [[String: Any]]).map { $0["dispatch_bytes"] as! Int }.reduce(0, +)
    }

    /// The tokens of the same workload with every role in this process.
    func oneProcessTokens(cluster: String, folder: String, workload: [String]? = nil) throws -> [[Int]] {
        let result = try Subprocess.run(switchyard, ["run", "--cluster", cluster, "--transport", "inproc", "--quiet", "--out", folder + "/inproc"] + (workload ?? self.workload),
                                        timeout: .seconds(60))
        try #require(result.status == 0, "\(result.stderr)")
        return try generated(folder + "/inproc")
    }

    /// One generation over ZeroMQ tcp: expert hosts in their machines' namespaces, the coordinator
    /// in its own, tcpdump on machine a's interface when `capture` is given. Returns the run
    /// directory and the bytes the hosts' machines received.
    func runOverNamespaces(_ network: NamespaceNetwork, cluster: String, folder: String, name: String,
                           capture: String?, relays: Bool = false, workload: [String]? = nil,
                           hostNodes: [String]? = nil) throws -> (run: String, received: Int, capture: [UInt8]?) {
        let workload = workload ?? self.workload
        let hostNodes = hostNodes ?? self.hostNodes
        var exits: [ObjectIdentifier: ProcessExit] = [:]
        let hosts = try hostNodes.enumerated().map { host, node -> Process in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: network.ip)
            process.arguments = network.exec(in: node, [switchyard, "expert-host", "--cluster", cluster, "--host", String(host), "--model", "tiny"])
            process.standardOutput = FileHandle.nullDevice
            _ = FileManager.default.createFile(atPath: folder + "/\(name)-host-\(host).log", contents: nil)
            process.standardError = FileHandle(forWritingAtPath: folder + "/\(name)-host-\(host).log")
            exits[ObjectIdentifier(process)] = ProcessExit(process)
            try process.run()
            return process
        }
        // A relay per machine, beside its hosts; it connects to them before it listens.
        let relayProcesses = try (relays ? ["a", "b"] : []).enumerated().map { relay, node -> Process in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: network.ip)
            process.arguments = network.exec(in: node, [switchyard, "relay", "--cluster", cluster, "--relay", String(relay), "--model", "tiny",
                                                        "--handshake-timeout", "20", "--traffic-out", folder + "/" + name])
            process.standardOutput = FileHandle.nullDevice
            _ = FileManager.default.createFile(atPath: folder + "/\(name)-relay-\(relay).log", contents: nil)
            process.standardError = FileHandle(forWritingAtPath: folder + "/\(name)-relay-\(relay).log")
            exits[ObjectIdentifier(process)] = ProcessExit(process)
            try process.run()
            return process
        }
        let everyone = hosts + relayProcesses
        defer { everyone.forEach { if $0.isRunning { kill($0.processIdentifier, SIGKILL) } } }
        let tcpdump = try capture.map { try PacketCapture(network: network, node: "a", file: $0, tcpdump: PacketCapture.tcpdump!) }
        let before = try network.receivedBytes("a") + network.receivedBytes("b")

        let run = folder + "/" + name
        let coordinator = try Subprocess.run(network.ip, network.exec(in: "c", [switchyard, "coordinator", "--cluster", cluster, "--handshake-timeout", "20",
                                                                               "--exchange-timeout", "10", "--out", run] + workload),
                                             timeout: .seconds(25))
        let logs = (0..<hosts.count).map { (try? String(contentsOfFile: folder + "/\(name)-host-\($0).log", encoding: .utf8)) ?? "" }
            + (0..<relayProcesses.count).map { (try? String(contentsOfFile: folder + "/\(name)-relay-\($0).log", encoding: .utf8)) ?? "" }
        try #require(coordinator.status == 0, "\(name): \(coordinator.stderr)\n\(logs.joined(separator: "\n"))")
        let received = try network.receivedBytes("a") + network.receivedBytes("b") - before

        // The coordinator's shutdown stops every host.
        // Each waited for on its termination handler, all within 10 s.
        let deadline = ContinuousClock.now + .seconds(10)
        let statuses = everyone.map { process in
            exits[ObjectIdentifier(process)]!.wait(process, within: max(1, Int((deadline - ContinuousClock.now).components.seconds)))
        }
        let captured = try tcpdump?.stop()
        #expect(statuses.allSatisfy { $0 == 0 }, "\(name): \(statuses) \(logs.joined(separator: "\n"))")
        #expect(logs.allSatisfy { $0.contains("listening at tcp://10.77.0.") }, "\(name): \(logs)")
        return (run, received, captured)
    }

    /// The generation crosses the bridge under CURVE and gives the one-process tokens; a packet
    /// capture on a host's machine holds no frame header and none of the activation bytes that a
    /// plaintext run of the same workload (`"security": "none"`) shows in clear.
    @Test func generationOverZeroMQAcrossNamespaces() throws {
        let folder = try folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let started = ContinuousClock.now
        let network = try NamespaceNetwork(nodes: machines)
        defer {
            network.remove()
            #expect(network.leftovers().isEmpty)
        }
        let cluster = try zmqClusterFile(in: folder)
        let capturing = PacketCapture.tcpdump != nil
        if !capturing { print("NetworkNamespaceTests: packet capture skipped: no tcpdump on the PATH or in /usr/sbin (make deps installs it)") }

        var clear: [[UInt8]] = []
        if capturing {
            let plaintext = try runOverNamespaces(network, cluster: try zmqClusterFile(in: folder, curve: false), folder: folder, name: "plaintext",
                                                  capture: folder + "/plaintext.pcap")
            let bytes = try #require(plaintext.capture)
            // The probe is real: in clear, the dispatch headers and their activations are there to read.
            clear = PacketCapture.dispatchActivations(in: PacketCapture.tcpStreams(bytes))
            #expect(!clear.isEmpty, "no dispatch activations found in the plaintext capture (\(bytes.count) bytes)")
            #expect(try generated(plaintext.run) == (try generated(folder + "/plaintext")))
        }

        let secure = try runOverNamespaces(network, cluster: cluster, folder: folder, name: "zmq", capture: capturing ? folder + "/curve.pcap" : nil)
        let tokens = try generated(secure.run)
        #expect(tokens.count == 3 && tokens.allSatisfy { $0.count == 4 })
        // The dispatches crossed the bridge: the hosts' machines received at least their bytes.
        #expect(secure.received >= (try dispatchedBytes(secure.run)), "received \(secure.received) bytes")
        #expect(tokens == (try oneProcessTokens(cluster: cluster, folder: folder)))
        if let bytes = secure.capture {
            #expect(bytes.count >= secure.received / 2, "the capture holds \(bytes.count) bytes of \(secure.received) received")
            let streams = PacketCapture.tcpStreams(bytes)
            #expect(streams.reduce(0) { $0 + $1.count } > 0, "no TCP payload in the CURVE capture")
            #expect(([bytes] + streams).allSatisfy { PacketCapture.occurrences(of: Array("SWYD".utf8), in: $0).isEmpty }, "a frame header crossed in clear")
            let leaked = clear.filter { window in ([bytes] + streams).contains { !PacketCapture.occurrences(of: window, in: $0).isEmpty } }
            #expect(leaked.isEmpty, "\(leaked.count) of \(clear.count) activation windows crossed in clear under CURVE")
            #expect(try generated(folder + "/plaintext") == tokens)
        }
        print("NetworkNamespaceTests: ZeroMQ with CURVE over namespaces, \(secure.received) bytes into the hosts' machines, "
              + (capturing ? "\(clear.count) activation windows seen in the plaintext capture and none in the CURVE one, " : "")
              + "\(ContinuousClock.now - started) in all")
    }

    @Test(.enabled("needs mpirun and orted", { Executables.find("mpirun") != nil && Executables.find("orted") != nil }))
    func generationUnderMpirunAcrossNamespaces() throws {
        let folder = try folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let started = ContinuousClock.now
        let network = try NamespaceNetwork(nodes: machines)
        defer {
            network.remove()
            #expect(network.leftovers().isEmpty)
        }
        let cluster = try mpiClusterFile(in: folder)
        let agent = try rshAgent(in: folder, network: network)
        let mpirun = try #require(Executables.find("mpirun"))
        let subnet = "10.77.0.0/24"
        let expected = try oneProcessTokens(cluster: try zmqClusterFile(in: folder), folder: folder)
        // The agent starts an orted on each other machine, which connects back to mpirun over the
        // bridge, as over a real network; the ranks talk TCP only, over the namespaces' subnet.
        let options = ["plm_rsh_agent": agent, "plm_rsh_no_tree_spawn": "1", "oob_tcp_if_include": subnet,
                       "pml": "ob1", "btl": "tcp,self", "btl_tcp_if_include": subnet]
        let job = ["--cluster", cluster, "--handshake-timeout", "20", "--exchange-timeout", "10", "--quiet"] + workload
        // mpirun by hand on the coordinator's machine, then `switchyard run --launcher mpirun`,
        // which reads the hostfile from the cluster file and takes the options from OMPI_MCA_*.
        let launches: [(name: String, line: [String], environment: [String: String])] = [
            ("mpirun", [mpirun, "--hostfile", folder + "/hosts", "-np", "5", "--map-by", "slot"]
                + options.sorted { $0.key < $1.key }.flatMap { ["--mca", $0.key, $0.value] }
                + [switchyard, "mpi-job", "--out", folder + "/mpirun"] + job, [:]),
            ("run", [switchyard, "run", "--launcher", "mpirun", "--out", folder + "/run"] + job,
             Dictionary(uniqueKeysWithValues: options.map { ("OMPI_MCA_" + $0.key, $0.value) })),
        ]
        var received = 0
        for launch in launches {
            try? FileManager.default.removeItem(atPath: folder + "/agent.log")
            let before = try network.receivedBytes("a") + network.receivedBytes("b")
            let environment = mpiEnvironment.merging(launch.environment) { $1 }
                .merging(["TMPDIR": try temporaryFolder(of: network.node("c"), in: folder)]) { $1 }
            let run = try Subprocess.run(network.ip, network.exec(in: "c", launch.line), environment: environment,
                                         timeout: .seconds(25))
            try #require(run.status == 0, "\(launch.name): \(run.stdout)\n\(run.stderr)")
            received = try network.receivedBytes("a") + network.receivedBytes("b") - before

            let agentLog = try String(contentsOfFile: folder + "/agent.log", encoding: .utf8)
            #expect(Set(agentLog.split(separator: "\n")) == ["10.77.0.2", "10.77.0.3"], "\(launch.name): the rsh agent was asked for: \(agentLog)")
            let tokens = try generated(folder + "/" + launch.name)
            #expect(tokens.count == 3 && tokens.allSatisfy { $0.count == 4 })
            #expect(received >= (try dispatchedBytes(folder + "/" + launch.name)), "\(launch.name): received \(received) bytes")
            #expect(tokens == expected, "\(launch.name)")
        }
        print("NetworkNamespaceTests: mpirun and switchyard run --launcher mpirun through an rsh agent over namespaces, \(received) bytes into the hosts' machines (last run), \(ContinuousClock.now - started) in all")
    }

    /// Two machines of four hosts each, a relay on each: the coordinator sends a token once to each
    /// machine holding any of its experts, so the machines receive fewer bytes than with a direct
    /// exchange, in the ratio the routing gives (the coordinators' ledgers, token copies by
    /// machine against by host), measured on the machines' interfaces; the tokens are the same.
    @Test func aHierarchicalExchangeSendsATokenOncePerMachine() throws {
        let folder = try folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let network = try NamespaceNetwork(nodes: machines)
        defer {
            network.remove()
            #expect(network.leftovers().isEmpty)
        }
        let work = ["--model", "tiny", "--requests", "4", "--prompt-tokens", "24", "--new-tokens", "8", "--max-batch", "4"]
        let eight = ["a", "a", "a", "a", "b", "b", "b", "b"]
        let direct = try runOverNamespaces(network, cluster: try zmqClusterFile(in: folder, hostNodes: eight), folder: folder, name: "direct",
                                           capture: nil, workload: work, hostNodes: eight)
        let hierarchicalFile = try zmqClusterFile(in: folder, hierarchical: true, hostNodes: eight)
        let relayed = try runOverNamespaces(network, cluster: hierarchicalFile, folder: folder, name: "hierarchical", capture: nil,
                                            relays: true, workload: work, hostNodes: eight)
        let tokens = try generated(relayed.run)
        #expect(tokens == (try generated(direct.run)))
        #expect(tokens == (try oneProcessTokens(cluster: hierarchicalFile, folder: folder, workload: work)))
        // What the routing says each machine should receive: token copies per machine against per host.
        func tokenCopies(_ run: String) throws -> Int {
            let lines = try String(contentsOfFile: run + "/traffic.jsonl", encoding: .utf8).split(separator: "\n").dropFirst()
            return try lines.reduce(0) { sum, line in
                let record = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                return sum + (record["kind"] as? String == "dispatch" ? (record["tokens"] as? Int ?? 0) : 0)
            }
        }
        let expectedTokens = Double(try tokenCopies(relayed.run)) / Double(try tokenCopies(direct.run))
        let expectedBytes = Double(try dispatchedBytes(relayed.run)) / Double(try dispatchedBytes(direct.run))
        let measured = Double(relayed.received) / Double(direct.received)
        print("NetworkNamespaceTests: bytes into the hosts' machines, hierarchical ÷ direct: measured \(relayed.received) ÷ \(direct.received) = "
              + String(format: "%.3f; expected from the routing: dispatch bytes %.3f, token copies %.3f", measured, expectedBytes, expectedTokens))
        #expect(expectedTokens < 1 && measured < 1)
        #expect(abs(measured / expectedBytes - 1) < 0.25, "measured \(measured), expected \(expectedBytes)")
        // Both hops are in the run directory; the relays' hops stayed within their machines.
        #expect(FileManager.default.fileExists(atPath: relayed.run + "/relay-1/traffic.jsonl"))
    }

    /// Machine b's link goes down mid-generation: its hosts stop answering, the coordinator
    /// declares them lost within the death window and the run finishes over machine a's replicas.
    @Test func aMachineCutOffMidRunIsLivedThroughOverTheReplicas() throws {
        let folder = try folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let network = try NamespaceNetwork(nodes: machines)
        defer {
            network.remove()
            #expect(network.leftovers().isEmpty)
        }
        // Each expert on a host of machine a and one of machine b.
        let cluster = try zmqClusterFile(in: folder, replicas: 2)
        let hosts = try hostNodes.enumerated().map { host, node -> Process in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: network.ip)
            process.arguments = network.exec(in: node, [switchyard, "expert-host", "--cluster", cluster, "--host", String(host), "--model", "tiny", "--quiet"])
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            return process
        }
        defer { hosts.forEach { if $0.isRunning { kill($0.processIdentifier, SIGKILL); $0.waitUntilExit() } } }
        let long = ["--model", "tiny", "--requests", "3", "--prompt-tokens", "5", "--new-tokens", "300", "--max-batch", "2"]
        let coordinator = Process()
        coordinator.executableURL = URL(fileURLWithPath: network.ip)
        coordinator.arguments = network.exec(in: "c", [switchyard, "coordinator", "--cluster", cluster,
                                                       "--handshake-timeout", "60", "--exchange-timeout", "30", "--out", folder + "/cut", "--quiet"] + long)
        coordinator.standardOutput = FileHandle.nullDevice
        let errors = folder + "/coordinator.log"
        _ = FileManager.default.createFile(atPath: errors, contents: nil)
        coordinator.standardError = FileHandle(forWritingAtPath: errors)
        let before = try network.receivedBytes("b")
        try coordinator.run()
        // Once dispatches flow into machine b (well past the handshake's few hundred bytes), its link goes down.
        let flowing = ContinuousClock.now + .seconds(60)
        while try network.receivedBytes("b") - before < 50_000, coordinator.isRunning, ContinuousClock.now < flowing { usleep(50_000) }
        _ = try network.ip(network.exec(in: "b", [network.ip, "link", "set", NamespaceNetwork.interface, "down"]))
        let deadline = ContinuousClock.now + .seconds(60)
        while coordinator.isRunning, ContinuousClock.now < deadline { usleep(50_000) }
        if coordinator.isRunning { coordinator.terminate() }
        coordinator.waitUntilExit()
        let log = (try? String(contentsOfFile: errors, encoding: .utf8)) ?? ""
        try #require(coordinator.terminationStatus == 0, "\(log)")
        let data = try Data(contentsOf: URL(fileURLWithPath: folder + "/cut/summary.json"))
        let summary = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let events = ((summary["faults"] as? [String: Any])?["events"] as? [[String: Any]]) ?? []
        let lost = Set(events.filter { $0["event"] as? String == "lost" }.compactMap { $0["host"] as? Int })
        #expect(lost == [2, 3], "\(events)")
        // Machine a's hosts were shut down at the end; b's, cut off, are killed by the defer.
        #expect(try generated(folder + "/cut") == (try oneProcessTokens(cluster: cluster, folder: folder, workload: long)))
    }
}

import Foundation
import SwitchyardTestSupport

/// Several machines made of network namespaces on this one: a bridge in a namespace of its own
/// and, per node, a namespace joined to the bridge by a veth pair, with loopback up and one IPv4
/// address. Nothing is added to the namespace the tests run in: the links are created inside the
/// new namespaces, and every name carries this process's id. `remove()` kills what still runs
/// inside and deletes every namespace it made, which deletes their links with them.
/// How long one `ip` command may take. It is a guard against a hang, not a measure: under `make
/// test`'s parallel load a `cat` of an interface counter in a namespace printed its answer and was
/// still not seen to exit after 10 s.
private let ipDeadline: Duration = .seconds(60)

final class NamespaceNetwork {
    struct Node {
        let name: String
        let namespace: String
        let address: String
    }

    /// Each node's interface, inside its own namespace.
    static let interface = "eth0"
    let ip: String
    let nodes: [Node]
    let prefix: String
    private var made: [String] = []
    private var rootLinksBefore: Set<String> = []

    /// Why namespaces cannot be made here, or nil when they can: probed once by making and deleting one.
    static let unavailableReason: String? = {
        guard geteuid() == 0 else { return "not root: network namespaces need CAP_SYS_ADMIN" }
        guard let ip = Executables.find("ip", also: ["/usr/sbin", "/sbin"]) else { return "no `ip` command (iproute2) on the PATH or in /usr/sbin" }
        let probe = "sy\(getpid())p"
        do {
            let added = try Subprocess.run(ip, ["netns", "add", probe], timeout: ipDeadline)
            guard added.status == 0 else { return "`ip netns add` failed: \(added.stderr.trimmingCharacters(in: .whitespacesAndNewlines))" }
            _ = try Subprocess.run(ip, ["netns", "delete", probe], timeout: ipDeadline)
        } catch {
            return "`ip netns` did not run: \(error)"
        }
        return nil
    }()

    /// True when the tests that need namespaces can run; otherwise prints why not, once.
    static let isAvailable: Bool = {
        guard let reason = unavailableReason else { return true }
        print("network namespace tests skipped: \(reason)")
        return false
    }()

    /// Makes the namespaces and links for `nodes` (name, IPv4 address) on one /24; on failure removes what it made.
    init(nodes: [(name: String, address: String)]) throws {
        guard let ip = Executables.find("ip", also: ["/usr/sbin", "/sbin"]) else { throw NamespaceNetworkError(description: "no `ip` command") }
        self.ip = ip
        let prefix = "sy\(getpid())"
        self.prefix = prefix
        self.nodes = nodes.map { Node(name: $0.name, namespace: prefix + $0.name, address: $0.address) }
        rootLinksBefore = rootLinks()
        do { try build() } catch {
            remove()
            throw error
        }
    }

    private func build() throws {
        let bridgeSpace = prefix + "sw"
        try addNamespace(bridgeSpace)
        try ip(["-n", bridgeSpace, "link", "add", "br0", "type", "bridge"])
        try ip(["-n", bridgeSpace, "link", "set", "br0", "up"])
        for (index, node) in nodes.enumerated() {
            try addNamespace(node.namespace)
            // Both ends are born inside namespaces of ours: v<index> at the bridge, eth0 in the node.
            try ip(["-n", bridgeSpace, "link", "add", "v\(index)", "type", "veth", "peer", "name", Self.interface, "netns", node.namespace])
            try ip(["-n", bridgeSpace, "link", "set", "v\(index)", "master", "br0", "up"])
            try ip(["-n", node.namespace, "addr", "add", node.address + "/24", "dev", Self.interface])
            try ip(["-n", node.namespace, "link", "set", Self.interface, "up"])
        }
    }

    private func addNamespace(_ name: String) throws {
        try ip(["netns", "add", name])
        made.append(name)
        try ip(["-n", name, "link", "set", "lo", "up"])
    }

    @discardableResult
    func ip(_ arguments: [String]) throws -> String {
        let result = try Subprocess.run(ip, arguments, timeout: ipDeadline)
        guard result.status == 0 else {
            throw NamespaceNetworkError(description: "ip \(arguments.joined(separator: " ")) exited \(result.status): \(result.stderr)")
        }
        return result.stdout
    }

    func node(_ name: String) -> Node { nodes.first { $0.name == name }! }

    /// The command line that runs `command` inside `node`'s namespace.
    func exec(in node: String, _ command: [String]) -> [String] {
        ["netns", "exec", self.node(node).namespace] + command
    }

    /// Bytes `node`'s interface has received so far.
    func receivedBytes(_ node: String) throws -> Int {
        let text = try ip(exec(in: node, ["cat", "/sys/class/net/\(Self.interface)/statistics/rx_bytes"]))
        return Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    }

    /// What is left of this network: its namespaces that `ip netns list` still shows, and links
    /// that appeared in the tests' own namespace since it was made (there should never be any).
    func leftovers() -> [String] {
        let listed = (try? Subprocess.run(ip, ["netns", "list"], timeout: ipDeadline).stdout) ?? ""
        let namespaces = listed.split(separator: "\n").compactMap { $0.split(separator: " ").first.map(String.init) }.filter { $0.hasPrefix(prefix) }
        return namespaces.map { "namespace \($0)" } + rootLinks().subtracting(rootLinksBefore).sorted().map { "link \($0)" }
    }

    /// The names of the links in the namespace this process runs in.
    private func rootLinks() -> Set<String> {
        let listed = (try? Subprocess.run(ip, ["-o", "link", "show"], timeout: ipDeadline).stdout) ?? ""
        // "2: eth0@if5: <BROADCAST,…" → "eth0"
        return Set(listed.split(separator: "\n").compactMap { line in
            line.split(separator: ":", maxSplits: 2).dropFirst().first.map { $0.trimmingCharacters(in: .whitespaces).split(separator: "@").first.map(String.init) ?? "" }
        })
    }

    /// Kills every process inside the namespaces (ours: nothing else can have entered them) and deletes them.
    func remove() {
        for namespace in made.reversed() {
            let pids = ((try? Subprocess.run(ip, ["netns", "pids", namespace], timeout: ipDeadline).stdout) ?? "")
                .split(separator: "\n").compactMap { pid_t($0) }
            for pid in pids { kill(pid, SIGKILL) }
            let deadline = ContinuousClock.now + .seconds(5)
            while pids.contains(where: Self.isAlive), ContinuousClock.now < deadline { usleep(20_000) }
            _ = try? Subprocess.run(ip, ["netns", "delete", namespace], timeout: ipDeadline)
        }
        made.removeAll()
    }

    /// Running or asleep; a zombie has left its namespaces already.
    private static func isAlive(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        return !stat[close...].hasPrefix(") Z")
    }

    deinit { remove() }
}

struct NamespaceNetworkError: Error, CustomStringConvertible {
    var description: String
}

enum Executables {
    /// `name` in a folder of the PATH, or in one of `also`.
    static func find(_ name: String, also: [String] = []) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let folders = path.split(separator: ":").map(String.init) + also
        return folders.map { $0 + "/" + name }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}

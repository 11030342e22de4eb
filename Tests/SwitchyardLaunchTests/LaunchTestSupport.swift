import Foundation

/// A fresh folder with a cluster file in it: `hosts` hosts on ipc sockets inside the folder, or
/// an MPI cluster (with `ranks`: the coordinator's rank and then each host's).
struct ClusterFolder {
    let url: URL
    let file: String

    init(hosts: Int, transport: String = "zmq", ranks: [Int]? = nil) throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("sy-launch-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        self.url = url
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        func role(_ name: String, _ index: Int, gpu: Int) -> String {
            let device = "\"device\": {\"node\": 0, \"gpu\": \(gpu)}"
            if transport == "mpi" { return "{" + (ranks.map { "\"rank\": \($0[index]), " } ?? "") + device + "}" }
            return "{\"endpoint\": \"ipc://\(url.path)/\(name)\", \(device)}"
        }
        let hostList = (0..<hosts).map { role("h\($0)", $0 + 1, gpu: $0) }
        let json = """
        {"topology": "dgx-b200.json", "transport": "\(transport)", "payload": "f32", "placement": "contiguous",
         "coordinator": \(role("coordinator", 0, gpu: 0)),
         "hosts": [\(hostList.joined(separator: ", "))]}
        """
        file = url.appendingPathComponent("cluster.json").path
        try json.write(toFile: file, atomically: true, encoding: .utf8)
    }

    func remove() { try? FileManager.default.removeItem(at: url) }
}

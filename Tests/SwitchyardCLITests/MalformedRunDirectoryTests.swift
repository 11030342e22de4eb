import Foundation
import Testing
import SwitchyardTestSupport

/// Hand-edited, truncated and broken run directories given to every command that reads one
/// (`traffic`, `report`, `simulate --routing trace:`): each exits 2 with a message naming the
/// file, the line and the field, and none traps.
@Suite struct MalformedRunDirectoryTests {
    let switchyard = TestProducts.executable("switchyard")

    static let header = #"{"schema":"switchyard-traffic","version":1,"context":{"hosts":2,"layers":2,"experts":4,"hidden":8,"payload":"f32","transport":"inproc","coordinatorDevice":{"node":0,"gpu":0},"hostDevices":[{"node":0,"gpu":1},{"node":0,"gpu":2}],"topology":"hgx-h100"}}"#
    static func message(kind: String = "dispatch", host: Int = 0, source: Int? = nil, destination: Int? = nil, send: Int = 1000, receive: Int = 0) -> String {
        let (s, d) = kind == "dispatch" ? (0, host + 1) : (host + 1, 0)
        return #"{"type":"message","kind":"\#(kind)","step":0,"exchange":1,"layer":1,"micro_batch":0,"host":\#(host),"source":\#(source ?? s),"destination":\#(destination ?? d),"tokens":2,"slots":3,"payload_bytes":64,"wire_bytes":168,"send_ns":\#(send),"receive_ns":\#(receive)}"#
    }
    /// A whole coordinator file: header, two dispatches, two combines, a layer and a step line.
    static let lines = [header, message(host: 0), message(host: 1), message(kind: "combine", host: 0, send: 0, receive: 9000),
                        message(kind: "combine", host: 1, send: 0, receive: 9500),
                        #"{"type":"layer","layer":1,"expert_tokens":[3,1,2,0],"bytes_saved_by_dedup":152}"#,
                        #"{"type":"step","step":0,"seconds":0.5,"tokens":2}"#]
    static func hostFile(_ host: Int, writer: Int? = nil) -> String {
        header.replacingOccurrences(of: #""topology":"hgx-h100""#, with: #""topology":"hgx-h100","writer":\#(writer ?? host)"#) + "\n"
            + message(host: host, send: 0, receive: 3000) + "\n" + message(kind: "combine", host: host, send: 5000, receive: 0) + "\n"
    }
    static let summary = #"""
    {"cluster":"cluster/x.json","transport":"inproc","payload":"f32","weights":"synthetic","model":{"layers":2,"hidden":8,"experts":4,"experts_per_token":2},
     "hosts":[{"host":0,"experts":2,"resident_bytes":1024},{"host":1,"experts":2,"resident_bytes":1024}],
     "requests":1,"prompt_tokens":2,"generated_tokens":2,"steps":1,"seconds":0.5,"tokens_per_second":4,"step_latency_seconds":{"p50":0.5,"p99":0.5},
     "layers":[{"layer":1,"dispatch_messages":2,"dispatch_bytes":336,"combine_bytes":336,"tokens":2}],
     "traffic":{"messages":4,"wire_bytes":672,"dispatch_bytes":336,"combine_bytes":336,"bytes_saved_by_dedup":152,"intra_node_bytes":672,"inter_node_bytes":0,
                "host_imbalance":1,"expert_imbalance":2,"hosts":[{"host":0,"messages":1,"tokens":2,"expert_slots":3,"dispatch_bytes":168,"combine_bytes":168}],
                "layers":[{"layer":1,"wire_bytes":672,"host_imbalance":1,"expert_imbalance":2,"bytes_saved_by_dedup":152}]},
     "transport_counters":{"sent_messages":2,"sent_bytes":336,"received_messages":2,"received_bytes":336},
     "control_frames":{"sent_messages":0,"sent_bytes":0,"received_messages":0,"received_bytes":0},
     "outputs":[{"request":0,"generated":[5,6]}]}
    """#

    /// One broken directory: what to write over the good one, the commands that must refuse it,
    /// and what their message must say.
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var files: [String: Data?]
        var expected: String
        var commands: [String] = ["traffic", "report", "trace"]
        var testDescription: String { name }
    }

    static func traffic(_ edit: (inout [String]) -> Void) -> [String: Data?] {
        var lines = lines
        edit(&lines)
        return ["traffic.jsonl": Data((lines.joined(separator: "\n") + "\n").utf8)]
    }
    static func replacing(_ line: Int, _ old: String, _ new: String) -> [String: Data?] {
        traffic { $0[line] = $0[line].replacingOccurrences(of: old, with: new) }
    }
    static func summary(_ old: String, _ new: String) -> [String: Data?] {
        ["summary.json": Data(summary.replacingOccurrences(of: old, with: new).utf8)]
    }

    static let cases: [Case] = [
        Case(name: "missing traffic.jsonl", files: ["traffic.jsonl": nil], expected: "traffic.jsonl: not found"),
        Case(name: "empty traffic.jsonl", files: ["traffic.jsonl": Data()], expected: "traffic.jsonl: is empty"),
        Case(name: "only blank lines", files: ["traffic.jsonl": Data("\n\n\n".utf8)], expected: "traffic.jsonl: is empty"),
        Case(name: "truncated last line", files: traffic { $0[6] = String($0[6].prefix(20)) }, expected: "traffic.jsonl: line 7: is not a JSON object"),
        Case(name: "truncated header", files: traffic { $0 = [String($0[0].prefix(90))] }, expected: "traffic.jsonl: line 1: is not a JSON object"),
        Case(name: "another schema", files: replacing(0, "switchyard-traffic", "other-traffic"), expected: "traffic.jsonl: line 1: schema: expected"),
        Case(name: "newer version", files: replacing(0, #""version":1"#, #""version":2"#), expected: "traffic.jsonl: line 1: version: 2 is not 1"),
        Case(name: "negative host count", files: replacing(0, #""hosts":2"#, #""hosts":-2"#), expected: "line 1: context.hosts: -2 is not in 1...4096"),
        Case(name: "huge host count", files: replacing(0, #""hosts":2"#, #""hosts":99999999999999999999"#), expected: "line 1: context.hosts: 99999999999999999999 is not a whole number"),
        Case(name: "zero layers", files: replacing(0, #""layers":2"#, #""layers":0"#), expected: "line 1: context.layers: 0 is not in"),
        Case(name: "layers × experts too big", files: traffic { $0[0] = $0[0].replacingOccurrences(of: #""experts":4"#, with: #""experts":65536"#)
                                                                     .replacingOccurrences(of: #""layers":2"#, with: #""layers":4096"#) },
             expected: "line 1: context.experts: 4096 layers × 65536 experts is more than"),
        Case(name: "fewer devices than hosts", files: replacing(0, #",{"node":0,"gpu":2}"#, ""), expected: "line 1: context.hostDevices: 1 devices for 2 hosts"),
        Case(name: "negative gpu", files: replacing(0, #"{"node":0,"gpu":0}"#, #"{"node":0,"gpu":-1}"#), expected: "line 1: context.coordinatorDevice.gpu: -1 is negative"),
        Case(name: "unknown payload", files: replacing(0, #""payload":"f32""#, #""payload":"f16""#), expected: "line 1: context.payload"),
        Case(name: "payload of the wrong type", files: replacing(0, #""payload":"f32""#, #""payload":32"#), expected: "line 1: context.payload: expected a payload type (f32, bf16 or fp8)"),
        Case(name: "unknown transport", files: replacing(0, #""transport":"inproc""#, #""transport":"pigeon""#), expected: "line 1: context.transport"),
        Case(name: "host index out of range", files: replacing(2, #""host":1,"source":0,"destination":2"#, #""host":5,"source":0,"destination":6"#),
             expected: "traffic.jsonl: line 3: host: 5 is not in 0...1"),
        Case(name: "negative host index", files: replacing(1, #""host":0,"#, #""host":-1,"#), expected: "line 2: host: -1 is not in 0...1"),
        Case(name: "layer out of range", files: replacing(1, #""layer":1,"#, #""layer":9,"#), expected: "line 2: layer: 9 is not in 0...1"),
        Case(name: "step as a string", files: replacing(1, #""step":0,"#, #""step":"zero","#), expected: "line 2: step: expected an integer"),
        Case(name: "step past Int32", files: replacing(1, #""step":0,"#, #""step":100000000000,"#), expected: "line 2: step: 100000000000 does not fit in Int32"),
        Case(name: "negative exchange", files: replacing(1, #""exchange":1,"#, #""exchange":-3,"#), expected: "line 2: exchange: -3 does not fit in UInt64"),
        Case(name: "fractional bytes", files: replacing(1, #""wire_bytes":168"#, #""wire_bytes":168.5"#), expected: "line 2: wire_bytes: 168.5 is not a whole number"),
        Case(name: "huge bytes", files: replacing(1, #""wire_bytes":168"#, #""wire_bytes":9223372036854775807"#), expected: "line 2: wire_bytes: 9223372036854775807 is not in 0..."),
        Case(name: "negative time", files: replacing(1, #""send_ns":1000"#, #""send_ns":-1000"#), expected: "line 2: send_ns"),
        Case(name: "missing field", files: replacing(1, #""tokens":2,"#, ""), expected: "line 2: tokens: missing"),
        Case(name: "null field", files: replacing(1, #""slots":3"#, #""slots":null"#), expected: "line 2: slots: expected an integer, found null"),
        Case(name: "unknown kind", files: replacing(1, #""kind":"dispatch""#, #""kind":"broadcast""#), expected: "line 2: kind"),
        Case(name: "unknown line type", files: replacing(5, #""type":"layer""#, #""type":"gossip""#), expected: "line 6: type"),
        Case(name: "source disagreeing with kind and host", files: replacing(1, #""source":0"#, #""source":2"#), expected: "line 2: source: 2 does not match"),
        Case(name: "expert counts of the wrong length", files: replacing(5, "[3,1,2,0]", "[3,1,2]"), expected: "line 6: expert_tokens: 3 counts for 4 experts"),
        Case(name: "negative expert count", files: replacing(5, "[3,1,2,0]", "[3,-1,2,0]"), expected: "line 6: expert_tokens: -1"),
        Case(name: "negative step seconds", files: replacing(6, #""seconds":0.5"#, #""seconds":-0.5"#), expected: "line 7: seconds"),
        Case(name: "a line that is an array", files: traffic { $0[3] = "[1,2,3]" }, expected: "line 4: expected an object"),
        Case(name: "non-UTF-8 bytes", files: ["traffic.jsonl": Data(lines[0].utf8) + Data([0x0A, 0x7B, 0xFF, 0xFE, 0x7D, 0x0A])],
             expected: "traffic.jsonl: line 2: is not UTF-8 text"),
        Case(name: "host file of another host", files: ["traffic-host-0.jsonl": Data(hostFile(0, writer: 1).utf8)],
             expected: "traffic-host-0.jsonl: line 1: context: written by host 1"),
        Case(name: "truncated host file", files: ["traffic-host-1.jsonl": Data(hostFile(1).dropLast(30).utf8)],
             expected: "traffic-host-1.jsonl: line 3: is not a JSON object"),
        Case(name: "host file naming an unknown host", files: ["traffic-host-1.jsonl": Data(hostFile(1).replacingOccurrences(of: #""host":1,"#, with: #""host":4,"#).utf8)],
             expected: "traffic-host-1.jsonl: line 2: host: 4"),
        Case(name: "truncated summary.json", files: ["summary.json": Data(summary.prefix(200).utf8)], expected: "summary.json: is not a JSON object", commands: ["report"]),
        Case(name: "summary count of the wrong type", files: summary(#""generated_tokens":2"#, #""generated_tokens":"many""#),
             expected: "summary.json: generated_tokens: expected an integer", commands: ["report"]),
        Case(name: "negative summary steps", files: summary(#""steps":1"#, #""steps":-1"#), expected: "summary.json: steps: -1 is negative", commands: ["report"]),
        Case(name: "summary transport unknown", files: summary(#""transport":"inproc""#, #""transport":"smoke""#), expected: "summary.json: transport", commands: ["report"]),
        Case(name: "summary layer out of range", files: summary(#"{"layer":1,"dispatch_messages""#, #"{"layer":7,"dispatch_messages""#),
             expected: "summary.json: layers.layer[0]: 7 is not in 0...1", commands: ["report"]),
        Case(name: "summary model layers negative", files: summary(#""model":{"layers":2"#, #""model":{"layers":-1"#),
             expected: "summary.json: model.layers: -1 is not positive", commands: ["report"]),
        Case(name: "summary host out of order", files: summary(#"{"host":1,"experts":2"#, #"{"host":3,"experts":2"#), expected: "summary.json: hosts[1].host: 3", commands: ["report"]),
        Case(name: "summary count out of range", files: summary(#""requests":1"#, #""requests":1e30"#), expected: "summary.json: ", commands: ["report"]),
        Case(name: "summary missing a field", files: summary(#""tokens_per_second":4,"#, ""), expected: "summary.json: tokens_per_second: missing", commands: ["report"]),
        Case(name: "summary not UTF-8", files: ["summary.json": Data([0x7B, 0xC3, 0x28, 0x7D])], expected: "summary.json: is not UTF-8 text", commands: ["report"]),
    ]

    /// The good directory, with `files` written over it (nil removes a file).
    func directory(_ files: [String: Data?]) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("sy-malformed-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        var all: [String: Data?] = ["traffic.jsonl": Data((Self.lines.joined(separator: "\n") + "\n").utf8), "summary.json": Data(Self.summary.utf8),
                                    "traffic-host-0.jsonl": Data(Self.hostFile(0).utf8), "traffic-host-1.jsonl": Data(Self.hostFile(1).utf8)]
        for (name, data) in files { all[name] = data }
        for case let (name, data?) in all { try data.write(to: url.appendingPathComponent(name)) }
        return url.path
    }

    func arguments(_ command: String, _ dir: String) -> [String] {
        command == "trace" ? ["simulate", "--model", "tiny", "--topology", "hgx-h100", "--routing", "trace:" + dir] : [command, dir]
    }

    @Test func theGoodDirectoryIsReadByEveryCommand() throws {
        let dir = try directory([:])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for command in ["traffic", "report", "trace"] {
            let result = try Subprocess.run(switchyard, arguments(command, dir), timeout: .seconds(60))
            #expect(result.status == 0, "\(command): \(result.stderr)")
        }
    }

    @Test(arguments: cases)
    func aBrokenDirectoryIsAnInputErrorNamingFileLineAndField(_ broken: Case) throws {
        let dir = try directory(broken.files)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for command in broken.commands {
            let result = try Subprocess.run(switchyard, arguments(command, dir), timeout: .seconds(60))
            #expect(result.status == 2, "\(command): exit \(result.status): \(result.stderr)")
            #expect(result.stderr.contains(broken.expected), "\(command): \(result.stderr)")
            #expect(result.stderr.hasPrefix("switchyard: \(dir)/"), "\(command): the message starts with the file: \(result.stderr)")
        }
    }
}

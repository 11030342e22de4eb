import ArgumentParser
import Foundation
import SwitchyardCore
import SwitchyardLaunch
import SwitchyardReport
import SwitchyardTraffic

struct TrafficCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "traffic",
        abstract: "Print a run's traffic: the role-by-role byte matrix, load per host and per layer, links.",
        discussion: """
        Reads the run directory's traffic files (docs/TRAFFIC.md) and prints, for all
        layers, the bytes from each role (row) to each role (column); expert hosts'
        tokens, expert slots and bytes; per layer bytes, imbalance (max ÷ mean) and
        deduplication savings; achieved throughput per link. --layer N prints layer N's
        matrix instead of the total.

        Example: switchyard traffic runs/20260101-120000-4242 --layer 3
        """
    )

    @Argument(help: "The run directory (switchyard run's --out).") var runDirectory: String
    @Option(help: "Print this layer's matrix instead of all layers'.") var layer: Int?
    @Option(help: JSONOption.help) var json: String?

    func run() throws {
        let directory = URL(fileURLWithPath: runDirectory)
        let summary = TrafficSummary(try TrafficRun.load(directory))
        let relays = try TrafficRun.relayLedgers(directory, context: summary.ledger.context)
        let hops = relays.isEmpty ? nil : RunFiles.hops(summary, relays: relays)
        let names = summary.ledger.context.endpointNames
        let matrix: TrafficMatrix
        if let layer {
            guard let m = summary.perLayer[layer] else {
                throw ValidationError("--layer \(layer): the run moved nothing in that layer; layers with traffic: \(summary.layers.map(String.init).joined(separator: ", "))")
            }
            matrix = m
        } else { matrix = summary.total }
        // summary.json's traffic figures, with the matrix the table shows.
        var object = try JSONSerialization.jsonObject(with: JSONStyle.encoder().encode(RunSummary.Traffic(summary))) as! [String: Any]
        object["roles"] = names
        object["matrix_layer"] = layer ?? NSNull()
        object["matrix_bytes"] = (0..<matrix.endpoints).map { s in (0..<matrix.endpoints).map { d in matrix[bytes: s, d] } }
        if let hops {
            object["exchange"] = "hierarchical"
            object["coordinator_relay_bytes"] = hops.firstHopBytes
            object["relay_host_bytes"] = hops.secondHopBytes
            object["intra_node_bytes"] = hops.intraNode
            object["inter_node_bytes"] = hops.interNode
            object["relays"] = hops.relays.map { ["relay": $0.relay, "node": $0.node, "hosts": $0.hosts, "messages": $0.messages,
                                                  "dispatch_bytes": $0.dispatchBytes, "combine_bytes": $0.combineBytes] }
        }
        if try JSONOption.write(object, to: json) { return }
        print("bytes from role (row) to role (column), \(layer.map { "layer \($0)" } ?? "all layers")")
        print(Table(header: ["from \\ to"] + names, rows: (0..<matrix.endpoints).map { s in
            [names[s]] + (0..<matrix.endpoints).map { d in matrix[bytes: s, d] > 0 ? Format.bytes(matrix[bytes: s, d]) : "·" }
        }, rightAligned: Set(1...names.count)).render())
        print("")
        print(Table(header: [summary.ledger.context.isRelayed ? "relay" : "host", "messages", "tokens", "expert slots", "dispatch", "combine"], rows: summary.hostLoad.map {
            ["\(summary.ledger.context.isRelayed ? "relay" : "host") \($0.host)", String($0.messages), String($0.tokens), String($0.slots), Format.bytes($0.dispatchBytes), Format.bytes($0.combineBytes)]
        }, rightAligned: [1, 2, 3, 4, 5]).render())
        print("")
        print(Table(header: ["layer", "bytes", "host imbalance", "expert imbalance", "saved by dedup"], rows: summary.layers.map { l in
            [String(l), Format.bytes(summary.perLayer[l]!.totalBytes), String(format: "%.2f", summary.hostImbalance(layer: l)),
             String(format: "%.2f", summary.expertImbalance(layer: l)), Format.bytes(summary.ledger.bytesSavedByDeduplication[l])]
        } + [["all", Format.bytes(summary.total.totalBytes), String(format: "%.2f", summary.hostImbalance()),
              String(format: "%.2f", summary.expertImbalance()), Format.bytes(summary.bytesSavedByDeduplication)]],
        rightAligned: [1, 2, 3, 4]).render())
        print("")
        if let hops {
            print("hierarchical exchange: coordinator ↔ relays \(Format.bytes(hops.firstHopBytes)), relays ↔ their nodes' hosts \(Format.bytes(hops.secondHopBytes))")
            print(Table(header: ["relay", "node", "hosts", "messages", "dispatch", "combine"], rows: hops.relays.map {
                ["relay \($0.relay)", String($0.node), String($0.hosts), String($0.messages), Format.bytes($0.dispatchBytes), Format.bytes($0.combineBytes)]
            }, rightAligned: [1, 2, 3, 4, 5]).render())
            print("")
        }
        let locality = hops.map { (intraNode: $0.intraNode, interNode: $0.interNode) } ?? summary.nodeLocality
        print("within a node \(Format.bytes(locality.intraNode)), between nodes \(Format.bytes(locality.interNode))"
              + (summary.nodesPerToken.map { String(format: "; a token's experts on %.2f nodes on average, %d at most", $0.mean, $0.max) } ?? ""))
        if let exchange = summary.exchangeTime {
            print("exchanges in flight \(Format.seconds(exchange.seconds))" + (exchange.shareOfSteps.map { String(format: ", %.0f%% of the steps' time", 100 * $0) } ?? ""))
        }
        print("")
        print(Table(header: ["link", "messages", "bytes", "mean transit", "throughput"], rows: summary.links.map { k in
            ["\(names[k.source]) → \(names[k.destination])", String(k.messages), Format.bytes(k.bytes),
             k.meanTransitSeconds.map(Format.seconds) ?? "–", k.bytesPerSecond.map { String(format: "%.3f GB/s", $0 / 1e9) } ?? "–"]
        }, rightAligned: [1, 2, 3, 4]).render())
    }
}

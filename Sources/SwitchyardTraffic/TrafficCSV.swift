/// traffic.csv: the source → destination matrices, all layers and per layer, one cell a row.
public enum TrafficCSV {
    public static func encode(_ summary: TrafficSummary) -> String {
        let names = summary.ledger.context.endpointNames
        var rows = ["layer,source,destination,bytes,tokens"]
        func add(_ label: String, _ m: TrafficMatrix) {
            for s in 0..<m.endpoints {
                for d in 0..<m.endpoints where m[bytes: s, d] > 0 {
                    rows.append("\(label),\(names[s]),\(names[d]),\(m[bytes: s, d]),\(m[tokens: s, d])")
                }
            }
        }
        add("all", summary.total)
        for layer in summary.layers { add(String(layer), summary.perLayer[layer]!) }
        return rows.joined(separator: "\n") + "\n"
    }
}

import Foundation

/// traffic.jsonl (docs/TRAFFIC.md): a schema line, then one JSON object a line: `message`,
/// `layer` and `step` records.
public enum TrafficJSONL {
    public static let schema = "switchyard-traffic"
    public static let version = 1

    public static func encode(_ ledger: TrafficLedger) throws -> String {
        let header: [String: Any] = ["schema": schema, "version": version, "context": try contextObject(ledger.context)]
        var lines = [try line(header)]
        lines.reserveCapacity(ledger.records.count + ledger.steps.count + ledger.expertTokens.count + 1)
        for r in ledger.records {
            // Fixed keys and integers only: formatted directly, one line per message.
            lines.append("{\"type\":\"message\",\"kind\":\"\(r.kind.name)\",\"step\":\(r.step),\"exchange\":\(r.exchange),\"layer\":\(r.layer),\"micro_batch\":\(r.microBatch),\"host\":\(r.host),\"source\":\(r.source),\"destination\":\(r.destination),\"tokens\":\(r.tokens),\"slots\":\(r.slots),\"payload_bytes\":\(r.payloadBytes),\"wire_bytes\":\(r.wireBytes),\"send_ns\":\(r.sendNanos),\"receive_ns\":\(r.receiveNanos)}")
        }
        for (layer, tokens) in ledger.expertTokens.enumerated() where tokens.contains(where: { $0 > 0 }) || ledger.bytesSavedByDeduplication[layer] > 0 {
            lines.append(try line(["type": "layer", "layer": layer, "expert_tokens": tokens, "bytes_saved_by_dedup": ledger.bytesSavedByDeduplication[layer]]))
        }
        for s in ledger.steps {
            lines.append(try line(["type": "step", "step": s.step, "seconds": s.seconds, "tokens": s.tokens]))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    public static func decode(_ text: String, file: String) throws(TrafficFileError) -> TrafficLedger {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: true).makeIterator()
        guard let first = lines.next() else { throw TrafficFileError("\(file): is empty, expected a schema line first") }
        let header = try object(first, file: file, line: 1)
        guard header["schema"] as? String == schema else { throw TrafficFileError("\(file): line 1: schema: expected \"\(schema)\"") }
        guard header["version"] as? Int == version else { throw TrafficFileError("\(file): line 1: version: \(header["version"] ?? "missing") is not \(version)") }
        let context: TrafficContext
        do {
            let data = try JSONSerialization.data(withJSONObject: header["context"] ?? [:])
            context = try JSONDecoder().decode(TrafficContext.self, from: data)
        } catch { throw TrafficFileError("\(file): line 1: context: \(error)") }
        var ledger = TrafficLedger(context: context, records: [],
                                   expertTokens: Array(repeating: Array(repeating: 0, count: context.experts), count: context.layers),
                                   bytesSavedByDeduplication: Array(repeating: 0, count: context.layers), steps: [])
        var number = 1
        while let text = lines.next() {
            number += 1
            let o = try object(text, file: file, line: number)
            func int(_ key: String) throws(TrafficFileError) -> Int {
                guard let v = o[key] as? NSNumber else { throw TrafficFileError("\(file): line \(number): \(key): missing or not a number") }
                return v.intValue
            }
            switch o["type"] as? String {
            case "message":
                guard let kind = TrafficRecord.Kind.allCases.first(where: { $0.name == o["kind"] as? String }) else {
                    throw TrafficFileError("\(file): line \(number): kind: expected dispatch or combine")
                }
                let host = try int("host")
                guard (0..<context.hosts).contains(host) else { throw TrafficFileError("\(file): line \(number): host: \(host) is not in 0...\(context.hosts - 1)") }
                let layer = try int("layer")
                guard (0..<context.layers).contains(layer) else { throw TrafficFileError("\(file): line \(number): layer: \(layer) is not in 0...\(context.layers - 1)") }
                ledger.records.append(TrafficRecord(
                    kind: kind, step: Int32(try int("step")), exchange: UInt64(try int("exchange")), layer: Int32(layer),
                    microBatch: Int32(try int("micro_batch")), host: Int32(host), tokens: Int32(try int("tokens")), slots: Int32(try int("slots")),
                    payloadBytes: Int64(try int("payload_bytes")), wireBytes: Int64(try int("wire_bytes")),
                    sendNanos: Int64(try int("send_ns")), receiveNanos: Int64(try int("receive_ns"))))
            case "layer":
                let layer = try int("layer")
                guard (0..<context.layers).contains(layer), let tokens = o["expert_tokens"] as? [Int], tokens.count == context.experts else {
                    throw TrafficFileError("\(file): line \(number): layer or expert_tokens: expected a layer below \(context.layers) and \(context.experts) counts")
                }
                ledger.expertTokens[layer] = tokens
                ledger.bytesSavedByDeduplication[layer] = try int("bytes_saved_by_dedup")
            case "step":
                guard let seconds = (o["seconds"] as? NSNumber)?.doubleValue else { throw TrafficFileError("\(file): line \(number): seconds: missing") }
                ledger.steps.append(TrafficStep(step: try int("step"), seconds: seconds, tokens: try int("tokens")))
            default:
                throw TrafficFileError("\(file): line \(number): type: expected message, layer or step")
            }
        }
        return ledger
    }

    static func contextObject(_ context: TrafficContext) throws -> Any {
        try JSONSerialization.jsonObject(with: JSONEncoder().encode(context))
    }

    static func line(_ object: [String: Any]) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }

    static func object(_ text: Substring, file: String, line: Int) throws(TrafficFileError) -> [String: Any] {
        guard let o = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] else {
            throw TrafficFileError("\(file): line \(line): is not a JSON object")
        }
        return o
    }
}

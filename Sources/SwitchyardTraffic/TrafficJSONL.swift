import Foundation
import SwitchyardCore

/// traffic.jsonl (docs/TRAFFIC.md): a schema line (`TrafficHeaderLine`), then one JSON object a
/// line (`TrafficLine`): `message`, `layer` and `step` records.
public enum TrafficJSONL {
    public static let schema = "switchyard-traffic"
    public static let version = 1

    /// traffic.jsonl for the coordinator, traffic-host-K.jsonl for host K.
    public static func fileName(writer: Int?) -> String { writer.map { "traffic-host-\($0).jsonl" } ?? "traffic.jsonl" }

    public static func encode(_ ledger: TrafficLedger) throws -> String {
        let encoder = JSONStyle.encoder(lines: true)
        func line(_ value: some Encodable) throws -> String { String(decoding: try encoder.encode(value), as: UTF8.self) }
        var lines = [try line(TrafficHeaderLine(context: ledger.context))]
        lines.reserveCapacity(ledger.records.count + ledger.steps.count + ledger.expertTokens.count + 1)
        for r in ledger.records {
            // TrafficRecord's Codable keys, integers only: formatted directly, as runs write many.
            lines.append("{\"type\":\"message\",\"kind\":\"\(r.kind.name)\",\"step\":\(r.step),\"exchange\":\(r.exchange),\"layer\":\(r.layer),\"micro_batch\":\(r.microBatch),\"host\":\(r.host),\"source\":\(r.source),\"destination\":\(r.destination),\"tokens\":\(r.tokens),\"slots\":\(r.slots),\"payload_bytes\":\(r.payloadBytes),\"wire_bytes\":\(r.wireBytes),\"send_ns\":\(r.sendNanos),\"receive_ns\":\(r.receiveNanos)}")
        }
        for (layer, tokens) in ledger.expertTokens.enumerated() where tokens.contains(where: { $0 > 0 }) || ledger.bytesSavedByDeduplication[layer] > 0 {
            let nodes = ledger.nodesPerToken.indices.contains(layer) ? ledger.nodesPerToken[layer] : []
            lines.append(try line(TrafficLine.layer(TrafficLayerLine(layer: layer, expertTokens: tokens, bytesSavedByDeduplication: ledger.bytesSavedByDeduplication[layer],
                                                                     nodesPerToken: nodes))))
        }
        for s in ledger.steps { lines.append(try line(TrafficLine.step(s))) }
        return lines.joined(separator: "\n") + "\n"
    }

    public static func decode(_ text: String, file: String) throws(TrafficFileError) -> TrafficLedger {
        try decode(Data(text.utf8), file: file)
    }

    /// The ledger of a traffic file's bytes; any problem is a `TrafficFileError` naming the file,
    /// the line and the field.
    public static func decode(_ data: Data, file: String) throws(TrafficFileError) -> TrafficLedger {
        let lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        let decoder = JSONDecoder()
        func decodeLine<T: Decodable>(_ type: T.Type, _ index: Int) throws(TrafficFileError) -> T {
            let bytes = lines[index]
            guard String(validating: bytes, as: UTF8.self) != nil else { throw TrafficFileError("\(file): line \(index + 1): is not UTF-8 text") }
            do {
                return try decoder.decode(type, from: Data(bytes))
            } catch let error as DecodingError {
                throw TrafficFileError("\(file): line \(index + 1): \(describe(error))")
            } catch {
                throw TrafficFileError("\(file): line \(index + 1): \(error)")
            }
        }
        guard let first = lines.firstIndex(where: { !$0.isEmpty }) else { throw TrafficFileError("\(file): is empty, expected a schema line first") }
        let context = try decodeLine(TrafficHeaderLine.self, first).context
        decoder.userInfo[TrafficLine.contextKey] = context
        var ledger = TrafficLedger(context: context, records: [],
                                   expertTokens: Array(repeating: Array(repeating: 0, count: context.experts), count: context.layers),
                                   bytesSavedByDeduplication: Array(repeating: 0, count: context.layers), steps: [],
                                   nodesPerToken: Array(repeating: [], count: context.layers))
        for index in lines.indices.dropFirst(first + 1) where !lines[index].isEmpty {
            switch try decodeLine(TrafficLine.self, index) {
            case let .message(record): ledger.records.append(record)
            case let .layer(line):
                ledger.expertTokens[line.layer] = line.expertTokens
                ledger.bytesSavedByDeduplication[line.layer] = line.bytesSavedByDeduplication
                ledger.nodesPerToken[line.layer] = line.nodesPerToken
            case let .step(step): ledger.steps.append(step)
            }
        }
        return ledger
    }

    /// "field: problem" for a decoding error; the field as a path (`context.hostDevices[2].gpu`).
    public static func describe(_ error: DecodingError) -> String {
        func path(_ codingPath: [CodingKey]) -> String {
            codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().drop { $0 == "." }.description
        }
        func field(_ codingPath: [CodingKey]) -> String { codingPath.isEmpty ? "" : path(codingPath) + ": " }
        switch error {
        case let .typeMismatch(type, context): return "\(field(context.codingPath))expected \(expectation(type))"
        case let .valueNotFound(type, context): return "\(field(context.codingPath))expected \(expectation(type)), found null"
        case let .keyNotFound(key, context): return "\(path(context.codingPath + [key])): missing"
        case let .dataCorrupted(context):
            if context.codingPath.isEmpty {
                return "is not a JSON object (truncated or hand-edited?), or holds a number that is fractional or out of range where a count belongs"
            }
            return "\(field(context.codingPath))\(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }

    static func expectation(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Double.Type, is Float.Type: "a number"
        case is Int.Type, is Int32.Type, is Int64.Type, is UInt64.Type, is UInt32.Type: "an integer"
        case is Bool.Type: "true or false"
        case is [Any].Type: "an array"
        case is ActivationPayloads.Type: #"a payload type (f32, bf16 or fp8) or {"dispatch": …, "combine": …}"#
        default: "an object"
        }
    }
}

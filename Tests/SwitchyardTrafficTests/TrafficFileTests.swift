import Foundation
import Testing
import SwitchyardTraffic
import SwitchyardCore

@Suite struct TrafficFileTests {
    func sampleLedger() -> TrafficLedger {
        let context = TrafficContext(hosts: 2, layers: 2, experts: 4, hidden: 8, payload: "f32", transport: "inproc",
                                     hostDevices: [DevicePosition(node: 0, gpu: 1), DevicePosition(node: 1, gpu: 0)])
        let recorder = TrafficRecorder(context: context)
        for host in 0..<2 {
            recorder.record(TrafficRecord(kind: .dispatch, step: 0, exchange: 1, layer: 1, host: Int32(host), tokens: 2, slots: 3,
                                          payloadBytes: 64, wireBytes: 64 + 40 + 64, sendNanos: 1_000))
            recorder.record(TrafficRecord(kind: .combine, step: 0, exchange: 1, layer: 1, host: Int32(host), tokens: 2, slots: 3,
                                          payloadBytes: 64, wireBytes: 64 + 8 + 64, receiveNanos: 9_000))
        }
        recorder.noteRouting(layer: 1, tokensPerExpert: [3, 1, 2, 0], bytesSavedByDeduplication: 152)
        recorder.noteStep(seconds: 0.5, tokens: 2)
        return recorder.ledger
    }

    @Test func jsonlRoundTrips() throws {
        let ledger = sampleLedger()
        let text = try TrafficJSONL.encode(ledger)
        #expect(text.hasPrefix("{\"context\""))
        #expect(text.split(separator: "\n").first!.contains("\"schema\":\"switchyard-traffic\""))
        #expect(try TrafficJSONL.decode(text, file: "t.jsonl") == ledger)
    }

    /// The ledger's payload is the wire's `PayloadType` of each direction: written as one name when
    /// both agree (as before there were directions), as an object when they differ.
    @Test func payloadIsThePayloadTypeWrittenByName() throws {
        let context: TrafficContext.Payload = .bf16
        let split = ActivationPayloads(dispatch: .fp8, combine: .bf16)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        #expect(String(decoding: try encoder.encode([context, .f32, split]), as: UTF8.self) == #"["bf16","f32",{"combine":"bf16","dispatch":"fp8"}]"#)
        #expect(try JSONDecoder().decode([TrafficContext.Payload].self, from: Data(#"["fp8",{"dispatch":"fp8","combine":"bf16"}]"#.utf8))
                == [ActivationPayloads(.fp8), split])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(TrafficContext.Payload.self, from: Data(#"{"dispatch":"fp8"}"#.utf8)) }
        let text = try TrafficJSONL.encode(sampleLedger())
        #expect(text.split(separator: "\n").first!.contains(#""payload":"f32""#))
        let unknown = text.replacingOccurrences(of: #""payload":"f32""#, with: #""payload":"fp16""#)
        #expect(throws: (any Error).self) { try TrafficJSONL.decode(unknown, file: "t.jsonl") }
    }

    @Test func badLinesNameTheFileLineAndField() {
        let text = try! TrafficJSONL.encode(sampleLedger()).replacingOccurrences(of: "\"host\":1,", with: "\"host\":7,")
        #expect { try TrafficJSONL.decode(text, file: "run/traffic.jsonl") } throws: { "\($0)".contains("run/traffic.jsonl: line 4: host: 7") }
        #expect { try TrafficJSONL.decode("", file: "e.jsonl") } throws: { "\($0)".contains("e.jsonl: is empty") }
    }

    @Test func interNodeBytesFollowTheDeviceMapping() {
        let summary = TrafficSummary(sampleLedger())
        #expect(summary.nodeLocality.intraNode == 168 + 136)
        #expect(summary.nodeLocality.interNode == 168 + 136)
        let csv = TrafficCSV.encode(summary)
        #expect(csv.contains("all,coordinator,host 1,168,2"))
        #expect(csv.contains("1,host 0,coordinator,136,2"))
    }

    @Test func mergingFillsTheOtherEndsTimes() {
        let ledger = sampleLedger()
        let host = ledger.records.map { r -> TrafficRecord in
            var twin = r
            if r.kind == .dispatch { twin.sendNanos = 0; twin.receiveNanos = 3_000 } else { twin.sendNanos = 5_000; twin.receiveNanos = 0 }
            return twin
        }
        let merged = ledger.merging(host)
        #expect(zip(merged.records.map { $0.transitSeconds! }, [2e-6, 4e-6, 2e-6, 4e-6]).allSatisfy { abs($0 - $1) < 1e-15 })
        let links = LinkThroughput.of(merged.records)
        #expect(links.count == 4)
        #expect(abs(links[0].bytesPerSecond! - 168 / 2e-6) < 1)
        let steps = TrafficSummary(merged).stepBreakdown
        #expect(steps.count == 1 && abs(steps[0].exchangeSeconds - 8e-6) < 1e-12 && abs(steps[0].hostSeconds - 2e-6) < 1e-12)
    }
}

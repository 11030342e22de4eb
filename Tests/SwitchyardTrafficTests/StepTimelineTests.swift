import Testing
import SwitchyardTraffic

/// Throughput read off a run's steps: before a fault and while it lasted.
@Suite struct StepTimelineTests {
    /// Ten steps of 0.1 s and 4 tokens each (40 tokens/s), then five of 0.2 s and 4 tokens (20 tokens/s).
    let timeline = StepTimeline((0..<10).map { TrafficStep(step: $0, seconds: 0.1, tokens: 4) }
                                + (10..<15).map { TrafficStep(step: $0, seconds: 0.2, tokens: 4) })

    @Test func stepsFollowEachOther() {
        #expect(abs(timeline.seconds - 2.0) < 1e-12)
        #expect(timeline.spans[10].start == timeline.spans[9].end)
    }

    @Test func aWindowCountsThePartsOfStepsInsideIt() throws {
        #expect(abs(try #require(timeline.tokensPerSecond(from: 0, to: 1)) - 40) < 1e-9)
        #expect(abs(try #require(timeline.tokensPerSecond(from: 1, to: 2)) - 20) < 1e-9)
        // Half of step 9 (2 tokens in 0.05 s) and a quarter of step 10 (1 token in 0.05 s).
        #expect(abs(try #require(timeline.tokensPerSecond(from: 0.95, to: 1.05)) - 30) < 1e-9)
    }

    @Test func windowsOutsideTheRunHaveNoRate() {
        #expect(timeline.tokensPerSecond(from: 2, to: 3) == nil)
        #expect(timeline.tokensPerSecond(from: 0.5, to: 0.5) == nil)
        #expect(StepTimeline([]).tokensPerSecond(from: 0, to: 1) == nil)
    }

    @Test func aFaultIsComparedWithTheSameLengthBeforeIt() throws {
        let around = try #require(timeline.aroundFault(at: 1, lasting: 0.5))
        #expect(abs(around.before - 40) < 1e-9 && abs(around.during - 20) < 1e-9)
        // A window longer than the run before the fault uses what there is.
        let early = try #require(timeline.aroundFault(at: 0.2, lasting: 1))
        #expect(abs(early.before - 40) < 1e-9)
    }

    @Test func stepsWithoutAFiniteDurationAreLeftOut() {
        let odd = StepTimeline([TrafficStep(step: 0, seconds: .nan, tokens: 3), TrafficStep(step: 1, seconds: 0.5, tokens: 1)])
        #expect(odd.spans.count == 1 && odd.seconds == 0.5)
    }
}

/// The time a run's exchanges were in flight, from the coordinator's own records.
@Suite struct ExchangeTimeTests {
    func record(_ kind: TrafficRecord.Kind, exchange: UInt64, host: Int32, send: Int64 = 0, receive: Int64 = 0) -> TrafficRecord {
        TrafficRecord(kind: kind, step: 0, exchange: exchange, layer: 1, host: host, tokens: 1, slots: 1, payloadBytes: 8, wireBytes: 80,
                      sendNanos: send, receiveNanos: receive)
    }

    @Test func eachExchangeCountsFromItsFirstDispatchToItsLastCombine() throws {
        let context = TrafficContext(hosts: 2, layers: 2, experts: 4, hidden: 2, payload: .f32, transport: .inproc)
        let records = [
            record(.dispatch, exchange: 1, host: 0, send: 1_000_000), record(.dispatch, exchange: 1, host: 1, send: 2_000_000),
            record(.combine, exchange: 1, host: 1, receive: 5_000_000), record(.combine, exchange: 1, host: 0, receive: 4_000_000),
            record(.dispatch, exchange: 2, host: 0, send: 10_000_000), record(.combine, exchange: 2, host: 0, receive: 12_000_000),
            // A host's file has the other ends' times only: no span.
            record(.dispatch, exchange: 3, host: 0, receive: 20_000_000),
        ]
        let ledger = TrafficLedger(context: context, records: records, expertTokens: [[0, 0, 0, 0], [1, 1, 0, 0]], bytesSavedByDeduplication: [0, 0],
                                   steps: [TrafficStep(step: 0, seconds: 0.012, tokens: 1)])
        let time = try #require(TrafficSummary(ledger).exchangeTime)
        #expect(abs(time.seconds - 0.006) < 1e-12)   // 4 ms + 2 ms
        #expect(abs(try #require(time.shareOfSteps) - 0.5) < 1e-9)
        let hostSide = TrafficLedger(context: context, records: [records[6]], expertTokens: [[0, 0, 0, 0], [0, 0, 0, 0]], bytesSavedByDeduplication: [0, 0], steps: [])
        #expect(TrafficSummary(hostSide).exchangeTime == nil)
    }
}

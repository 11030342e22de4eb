import Testing
import SwitchyardTraffic

/// The idle gap before each exchange, from the coordinator's own times.
@Suite struct ExchangeSpansTests {
    func exchange(_ id: UInt64, sent: Int64, back: Int64) -> [TrafficRecord] {
        [TrafficRecord(kind: .dispatch, step: 0, exchange: id, layer: 0, host: 0, tokens: 1, slots: 1, payloadBytes: 100, wireBytes: 180, sendNanos: sent),
         TrafficRecord(kind: .combine, step: 0, exchange: id, layer: 0, host: 0, tokens: 1, slots: 1, payloadBytes: 100, wireBytes: 168, receiveNanos: back)]
    }

    @Test func gapIsFromTheLastCombineBeforeToTheFirstDispatch() {
        // 1: 1 000 → 2 000; 2: 5 000 → 6 000 (3 µs idle before); 3 starts at 5 500 while 2 is in flight;
        // 4 starts at 9 000, 3 µs after 3 ended (6 000).
        let records = exchange(1, sent: 1_000, back: 2_000) + exchange(2, sent: 5_000, back: 6_000) + exchange(3, sent: 5_500, back: 5_800)
            + exchange(4, sent: 9_000, back: 9_500)
        let gaps = ExchangeSpans(records).idleSecondsBefore
        #expect(gaps[1] == .infinity, "the first exchange: idle since the handshake")
        #expect(abs(gaps[2]! - 3e-6) < 1e-15)
        #expect(gaps[3] == 0, "another exchange was in flight")
        #expect(abs(gaps[4]! - 3e-6) < 1e-15)
        #expect(abs(ExchangeSpans(records).inFlightSeconds - (1_000 + 1_000 + 300 + 500) * 1e-9) < 1e-15)
    }

    @Test func aHostsLedgerHasNoGaps() {
        // A host sees no dispatch leave: no exchange has a first dispatch.
        let host = [TrafficRecord(kind: .dispatch, step: 0, exchange: 1, layer: 0, host: 0, tokens: 1, slots: 1, payloadBytes: 100, wireBytes: 180,
                                  receiveNanos: 1_500)]
        #expect(ExchangeSpans(host).idleSecondsBefore.isEmpty)
        #expect(ExchangeSpans(host).inFlightSeconds == 0)
    }
}

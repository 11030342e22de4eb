import Testing
import SwitchyardTraffic

/// The all-to-all benchmark's phase boundaries and rows, from hand-made moments.
@Suite struct AlltoallTimingsTests {
    /// One exchange to two hosts; times in nanoseconds, both ends' moments filled in.
    func exchange(_ id: UInt64, step: Int32 = 0, dispatches: [(sent: Int64, received: Int64)], combines: [(sent: Int64, received: Int64)],
                  payload: Int64 = 1000) -> [TrafficRecord] {
        dispatches.enumerated().map { host, t in
            TrafficRecord(kind: .dispatch, step: step, exchange: id, layer: 0, host: Int32(host), tokens: 1, slots: 1,
                          payloadBytes: payload, wireBytes: payload + 80, sendNanos: t.sent, receiveNanos: t.received)
        } + combines.enumerated().map { host, t in
            TrafficRecord(kind: .combine, step: step, exchange: id, layer: 0, host: Int32(host), tokens: 1, slots: 1,
                          payloadBytes: payload, wireBytes: payload + 68, sendNanos: t.sent, receiveNanos: t.received)
        }
    }

    @Test func combineStartsWhenTheLastDispatchHasLeftNotAtTheFirstAnswer() throws {
        // Host 0 answers at 1_500 while the coordinator is still sending host 1's dispatch (it leaves at 3_000).
        let records = exchange(1, dispatches: [(1_000, 1_200), (2_000, 3_500)], combines: [(1_500, 4_000), (3_600, 6_000)])
        let times = try #require(AlltoallExchangeTimes(records: records, dispatchesLeftNanos: 3_000))
        #expect(times.combineStart == 3_000)
        #expect(abs(times.combineSeconds - 3_000e-9) < 1e-15)
        #expect(abs(times.dispatchSeconds - 2_500e-9) < 1e-15)
        #expect(abs(times.roundTripSeconds - 5_000e-9) < 1e-15)
    }

    @Test func combineStartsAtTheFirstAnswerWhenItComesAfterTheDispatchesLeft() throws {
        let records = exchange(1, dispatches: [(1_000, 1_200), (1_100, 1_400)], combines: [(2_000, 2_500), (2_100, 2_900)])
        let times = try #require(AlltoallExchangeTimes(records: records, dispatchesLeftNanos: 1_300))
        #expect(times.combineStart == 2_000)
        #expect(abs(times.combineSeconds - 900e-9) < 1e-15)
    }

    @Test func anExchangeWithoutBothEndsTimesHasNoTimes() {
        var records = exchange(1, dispatches: [(1_000, 1_200)], combines: [(1_500, 2_000)])
        #expect(AlltoallExchangeTimes(records: records, dispatchesLeftNanos: 0) == nil)
        records[0].receiveNanos = 0
        #expect(AlltoallExchangeTimes(records: records, dispatchesLeftNanos: 1_100) == nil)
        #expect(AlltoallExchangeTimes(records: records.filter { $0.kind == .dispatch }, dispatchesLeftNanos: 1_100) == nil)
    }

    @Test func rowsTakeMediansCountsAndWrongValuesPerTokenCount() throws {
        // Row 0: three timed exchanges with combine times 1 µs, 3 µs, 2 µs and one warm-up; row 1: one exchange.
        var records: [TrafficRecord] = []
        var notes: [AlltoallExchangeNote] = []
        for (id, combine) in [(1 as UInt64, 1_000 as Int64), (2, 3_000), (3, 2_000)] {
            records += exchange(id, dispatches: [(10_000, 11_000)], combines: [(11_500, 12_000 + combine)], payload: 512)
            notes.append(AlltoallExchangeNote(exchange: id, row: 0, timed: true, dispatchesLeftNanos: 12_000, wrongValues: id == 2 ? 5 : 0))
        }
        records += exchange(4, step: -1, dispatches: [(1, 2)], combines: [(3, 4)], payload: 512)
        notes.append(AlltoallExchangeNote(exchange: 4, row: 0, timed: false, dispatchesLeftNanos: 2, wrongValues: 7))
        records += exchange(5, step: 1, dispatches: [(20_000, 21_000), (20_100, 22_000)], combines: [(22_100, 24_000), (22_200, 25_000)], payload: 1024)
        notes.append(AlltoallExchangeNote(exchange: 5, row: 1, timed: true, dispatchesLeftNanos: 22_500, wrongValues: 0))

        let rows = AlltoallRow.rows(records, notes: notes, tokenCounts: [1, 2], bytesPerValue: 2)
        try #require(rows.count == 2)
        #expect(rows[0].tokens == 1 && rows[0].exchanges == 3)
        #expect(rows[0].count == 256 && rows[0].size == 512)
        #expect(rows[0].dispatchWireBytes == 592 && rows[0].combineWireBytes == 580)
        #expect(abs(rows[0].combineSeconds - 2_000e-9) < 1e-15)
        #expect(rows[0].wrongValues == 12, "timed and warm-up exchanges both count")
        #expect(abs(rows[0].combineAlgorithmBandwidth - 512 / 2_000e-9) < 1e-3)
        #expect(rows[0].combineBusBandwidth == rows[0].combineAlgorithmBandwidth * AlltoallRow.busFactor)
        #expect(rows[1].count == 1024 && rows[1].size == 2048)
        #expect(abs(rows[1].dispatchSeconds - 2_000e-9) < 1e-15)
        #expect(abs(rows[1].combineSeconds - 2_500e-9) < 1e-15, "from the last dispatch leaving at 22 500, not the first answer at 22 100")
        let average = (rows[0].dispatchBusBandwidth + rows[0].combineBusBandwidth + rows[1].dispatchBusBandwidth + rows[1].combineBusBandwidth) / 4
        #expect(abs(AlltoallRow.averageBusBandwidth(rows) - average) < 1e-3)
    }

    @Test func rowsWithIdleGapsAreOnePerTokenCountAndGap() throws {
        // Gaps [0, 1 ms] take turns: row 0 is 1 token back to back, row 1 is 1 token after 1 ms, row 2 is 2 tokens back to back.
        var records: [TrafficRecord] = []
        var notes: [AlltoallExchangeNote] = []
        for (id, row, roundTrip) in [(1 as UInt64, 0, 1_000 as Int64), (2, 1, 4_000), (3, 2, 2_000)] {
            records += exchange(id, step: Int32(row), dispatches: [(10_000, 10_100)], combines: [(10_200, 10_000 + roundTrip)])
            notes.append(AlltoallExchangeNote(exchange: id, row: row, timed: true, dispatchesLeftNanos: 10_050, wrongValues: 0))
        }
        let rows = AlltoallRow.rows(records, notes: notes, tokenCounts: [1, 2], idleGaps: [0, 1e-3], bytesPerValue: 2)
        try #require(rows.count == 3)
        #expect(rows.map(\.tokens) == [1, 1, 2])
        #expect(rows.map(\.idleGapSeconds) == [0, 1e-3, 0])
        #expect(abs(rows[1].roundTripSeconds - 4_000e-9) < 1e-15)
    }
}

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

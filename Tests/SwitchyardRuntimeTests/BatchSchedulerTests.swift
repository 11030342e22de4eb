import Testing
@testable import SwitchyardProtocol
import SwitchyardTransport
@testable import SwitchyardRuntime

@Suite struct BatchSchedulerTests {
    @Test func waitingRequestsJoinAsOthersFinish() {
        let requests = [
            GenerationRequest(id: 0, prompt: [1, 2, 3], newTokens: 2),
            GenerationRequest(id: 1, prompt: [4], newTokens: 3),
            GenerationRequest(id: 2, prompt: [5, 6], newTokens: 1),
        ]
        var scheduler = BatchScheduler(requests: requests, maxBatch: 2)
        // Step 1: both admitted requests feed their prompts.
        #expect(scheduler.nextStep() == [.init(request: 0, tokens: [1, 2, 3]), .init(request: 1, tokens: [4])])
        scheduler.complete(next: [10, 20])
        // Step 2: each feeds its last token.
        #expect(scheduler.nextStep() == [.init(request: 0, tokens: [10]), .init(request: 1, tokens: [20])])
        scheduler.complete(next: [11, 21])
        // Request 0 has its 2 tokens and leaves; request 2 joins with its prompt in the same step as 1's decode.
        #expect(scheduler.finished[0] == [10, 11])
        #expect(scheduler.nextStep() == [.init(request: 1, tokens: [21]), .init(request: 2, tokens: [5, 6])])
        scheduler.complete(next: [22, 30])
        #expect(scheduler.isDone)
        #expect(scheduler.finished == [0: [10, 11], 1: [20, 21, 22], 2: [30]])
    }

    @Test func requestsWithNothingToGenerateFinishAtOnce() {
        let scheduler = BatchScheduler(requests: [GenerationRequest(id: 7, prompt: [1], newTokens: 0)], maxBatch: 4)
        #expect(scheduler.isDone)
        #expect(scheduler.finished == [7: []])
    }

    /// A server's requests: they arrive while others run, join when there is room, and a client
    /// that leaves takes its sequence out of the batch (a waiting one joins in its place).
    @Test func requestsArriveLateAndLeaveEarly() {
        var scheduler = BatchScheduler(requests: [], maxBatch: 2)
        #expect(scheduler.isDone)
        scheduler.submit(GenerationRequest(id: 0, prompt: [1, 2], newTokens: 3))
        #expect(scheduler.nextStep() == [.init(request: 0, tokens: [1, 2])])
        scheduler.complete(next: [10])
        scheduler.submit(GenerationRequest(id: 1, prompt: [3], newTokens: 2))
        scheduler.submit(GenerationRequest(id: 2, prompt: [4], newTokens: 1))
        #expect(scheduler.activeCount == 2 && scheduler.waitingCount == 1)
        #expect(scheduler.nextStep() == [.init(request: 0, tokens: [10]), .init(request: 1, tokens: [3])])
        scheduler.complete(next: [11, 20])
        // Request 0 leaves mid-generation: 2 joins with its prompt beside 1's decode.
        let cancelled = scheduler.cancel(request: 0), again = scheduler.cancel(request: 0)
        #expect(cancelled && !again)
        #expect(scheduler.nextStep() == [.init(request: 1, tokens: [20]), .init(request: 2, tokens: [4])])
        scheduler.complete(next: [21, 30])
        #expect(scheduler.isDone)
        let none = scheduler.takeFinished(0), one = scheduler.takeFinished(1), taken = scheduler.takeFinished(1)
        #expect(none == nil && one == [20, 21] && taken == nil)
        #expect(scheduler.finished == [2: [30]])
    }
}

import Foundation
import Testing
@testable import SwitchyardServe

@Suite struct ServeBenchReportTests {
    /// numpy.percentile's default (linear) values, worked by hand.
    @Test func percentilesInterpolateAsNumpyDoes() {
        #expect(Percentile.of([4, 1, 3, 2], 50) == 2.5)
        #expect(abs(Percentile.of([1, 2, 3, 4], 99) - 3.97) < 1e-12)
        #expect(abs(Percentile.of([15, 20, 35, 40, 50], 40) - 29) < 1e-12)
        #expect(Percentile.of([7], 99) == 7)
        #expect(Percentile.of([], 50) == 0)
        #expect(Percentile.mean([1, 2, 6]) == 3)
    }

    func completion(sentAt start: ContinuousClock.Instant, chunksMs: [Int], endMs: Int, prompt: Int = 4) -> StreamedCompletion {
        var c = StreamedCompletion(promptTokens: prompt, sent: start)
        for (i, ms) in chunksMs.enumerated() {
            c.receive(event: #"{"choices": [{"text": "\#(i == 0 ? "" : " ")\#(i)", "token_ids": [\#(i)]}]}"#, at: start + .milliseconds(ms))
        }
        c.receive(event: #"{"choices": [{"text": "", "finish_reason": "length"}]}"#, at: start + .milliseconds(endMs))
        c.receive(event: #"{"choices": [], "usage": {"prompt_tokens": \#(prompt), "completion_tokens": \#(chunksMs.count)}}"#, at: start + .milliseconds(endMs))
        c.receive(event: "[DONE]", at: start + .milliseconds(endMs))
        return c
    }

    /// TTFT, TPOT and ITL as benchmark_serving defines them, from known arrival times.
    @Test func figuresFollowBenchmarkServing() throws {
        let t0 = ContinuousClock.now
        let a = completion(sentAt: t0, chunksMs: [100, 110, 130], endMs: 130)
        let b = completion(sentAt: t0, chunksMs: [200, 240], endMs: 240)
        var failed = StreamedCompletion(promptTokens: 4, sent: t0)
        failed.receive(event: #"{"error": {"message": "the queue is full"}}"#, at: t0)
        #expect(a.outputTokens == 3 && a.succeeded && !failed.succeeded)
        let report = ServeBenchReport([a, b, failed], seconds: 0.5)
        #expect(report.completed == 2 && report.failed == 1 && report.firstError == "the queue is full")
        #expect(report.inputTokens == 8 && report.outputTokens == 5)
        #expect(abs(report.requestThroughput - 4) < 1e-9 && abs(report.outputThroughput - 10) < 1e-9)
        #expect(abs(report.ttft.mean - 150) < 1e-6 && abs(report.ttft.median - 150) < 1e-6 && abs(report.ttft.p99 - 199) < 1e-6)
        // TPOT: a (130 - 100) / 2 = 15, b (240 - 200) / 1 = 40.
        #expect(abs(report.tpot.mean - 27.5) < 1e-6)
        // ITL: 10, 20 and 40 ms.
        #expect(abs(report.itl.mean - 70.0 / 3) < 1e-6 && abs(report.itl.median - 20) < 1e-6)
        #expect(report.text.contains("Median TTFT (ms):                        150.00"))
        #expect(report.json["p99_ttft_ms"] as? Double == report.ttft.p99)
    }

    @Test func aStreamWithoutDoneIsAFailure() {
        let t0 = ContinuousClock.now
        let answer = HTTPExchange.Answer(status: 200, parts: [(t0, Array("data: {\"choices\": [{\"text\": \"5\"}]}\n\n".utf8))])
        var c = StreamedCompletion(promptTokens: 1, sent: t0)
        ServeBenchmark.read(answer, into: &c)
        #expect(c.chunkTimes.count == 1)
        #expect(c.error == "the stream ended without data: [DONE]")
    }

    @Test func eventsSplitAcrossReadsAreTimedByTheReadThatCompletesThem() {
        let t0 = ContinuousClock.now
        let parts: [(ContinuousClock.Instant, [UInt8])] = [
            (t0 + .milliseconds(5), Array("data: {\"choices\": [{\"te".utf8)),
            (t0 + .milliseconds(9), Array("xt\": \"5\"}]}\n\ndata: [DONE]\n\n".utf8)),
        ]
        var c = StreamedCompletion(promptTokens: 1, sent: t0)
        ServeBenchmark.read(HTTPExchange.Answer(status: 200, parts: parts), into: &c)
        #expect(c.succeeded && c.chunkTimes == [t0 + .milliseconds(9)])
    }

    @Test func urlsAreCheckedAndTheV1SuffixIsOptional() throws {
        let bench = try ServeBenchmark(url: "http://127.0.0.1:8123/v1/", requests: 1, load: .concurrency(1), promptTokens: 1, maxTokens: 1)
        #expect(bench.host == "127.0.0.1" && bench.port == 8123 && bench.basePath == "")
        #expect(throws: ServeInputError.self) { try ServeBenchmark(url: "https://x:1", requests: 1, load: .concurrency(1), promptTokens: 1, maxTokens: 1) }
        #expect(throws: ServeInputError.self) { try ServeBenchmark(url: "127.0.0.1:80", requests: 1, load: .concurrency(1), promptTokens: 1, maxTokens: 1) }
    }
}

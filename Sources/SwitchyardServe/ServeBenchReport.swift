import Foundation

/// The figures vLLM's benchmark_serving prints, from the client's timings: request and token
/// throughput over the run's wall time, and TTFT, TPOT and ITL (mean, median, p99) in ms.
public struct ServeBenchReport: Sendable, Equatable {
    public struct Spread: Sendable, Equatable {
        public var mean: Double
        public var median: Double
        public var p99: Double

        init(milliseconds seconds: [Double]) {
            let ms = seconds.map { $0 * 1000 }
            mean = Percentile.mean(ms)
            median = Percentile.of(ms, 50)
            p99 = Percentile.of(ms, 99)
        }
    }

    public var completed: Int
    public var failed: Int
    public var seconds: Double
    public var inputTokens: Int
    public var outputTokens: Int
    public var ttft: Spread
    public var tpot: Spread
    public var itl: Spread
    public var e2el: Spread
    /// The first failure's message, to print.
    public var firstError: String?

    public init(_ completions: [StreamedCompletion], seconds: Double) {
        let ok = completions.filter(\.succeeded)
        completed = ok.count
        failed = completions.count - ok.count
        self.seconds = seconds
        inputTokens = ok.reduce(0) { $0 + $1.promptTokens }
        outputTokens = ok.reduce(0) { $0 + $1.outputTokens }
        ttft = Spread(milliseconds: ok.compactMap(\.timeToFirstToken))
        tpot = Spread(milliseconds: ok.compactMap(\.timePerOutputToken))
        itl = Spread(milliseconds: ok.flatMap(\.interTokenLatencies))
        e2el = Spread(milliseconds: ok.compactMap(\.latency))
        firstError = completions.first { !$0.succeeded }.map { $0.error ?? "no generated text" }
    }

    public var requestThroughput: Double { seconds > 0 ? Double(completed) / seconds : 0 }
    public var outputThroughput: Double { seconds > 0 ? Double(outputTokens) / seconds : 0 }
    public var totalTokenThroughput: Double { seconds > 0 ? Double(inputTokens + outputTokens) / seconds : 0 }

    /// The table, laid out as benchmark_serving's.
    public var text: String {
        func row(_ label: String, _ value: String) -> String { label.padding(toLength: 41, withPad: " ", startingAt: 0) + value }
        func f(_ x: Double) -> String { String(format: "%.2f", x) }
        func section(_ title: String) -> String {
            let pad = max(0, 50 - title.count)
            return String(repeating: "-", count: pad / 2) + title + String(repeating: "-", count: pad - pad / 2)
        }
        var lines = [section(" Serving Benchmark Result ").replacingOccurrences(of: "-", with: "=")]
        lines += [row("Successful requests:", String(completed)), row("Failed requests:", String(failed)),
                  row("Benchmark duration (s):", f(seconds)), row("Total input tokens:", String(inputTokens)),
                  row("Total generated tokens:", String(outputTokens)), row("Request throughput (req/s):", f(requestThroughput)),
                  row("Output token throughput (tok/s):", f(outputThroughput)), row("Total Token throughput (tok/s):", f(totalTokenThroughput))]
        for (title, name, spread) in [("Time to First Token", "TTFT", ttft), ("Time per Output Token (excl. 1st token)", "TPOT", tpot),
                                      ("Inter-token Latency", "ITL", itl)] {
            lines.append(section(title))
            lines += [row("Mean \(name) (ms):", f(spread.mean)), row("Median \(name) (ms):", f(spread.median)), row("P99 \(name) (ms):", f(spread.p99))]
        }
        lines.append(String(repeating: "=", count: 50))
        return lines.joined(separator: "\n")
    }

    /// benchmark_serving's result keys (units in the names).
    public var json: [String: Any] {
        var object: [String: Any] = [
            "completed": completed, "failed": failed, "duration_s": seconds, "total_input_tokens": inputTokens,
            "total_output_tokens": outputTokens, "request_throughput_per_s": requestThroughput,
            "output_throughput_tokens_per_s": outputThroughput, "total_token_throughput_tokens_per_s": totalTokenThroughput,
        ]
        for (name, spread) in [("ttft", ttft), ("tpot", tpot), ("itl", itl), ("e2el", e2el)] {
            object["mean_\(name)_ms"] = spread.mean
            object["median_\(name)_ms"] = spread.median
            object["p99_\(name)_ms"] = spread.p99
        }
        return object
    }
}

import ArgumentParser
import Foundation
import NIOPosix
import SwitchyardServe
import SwitchyardCore

struct BenchServe: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Load an OpenAI-style completions endpoint and print throughput, TTFT, TPOT and ITL as vLLM's benchmark_serving does.",
        // ArgumentParser prints the usage line unwrapped: this one fits 80 columns.
        usage: "switchyard bench serve --url <url> [<options>]",
        discussion: """
        Sends --requests streamed completions (random prompts of --prompt-tokens ids
        from --seed, --max-tokens each, temperature 0) to --url, --concurrency at a
        time or arriving at --rate a second (Poisson gaps), and times each from the
        client: time to first token (TTFT), time per output token after the first
        (TPOT), the gaps between streamed tokens (ITL), mean, median and p99 (numpy's
        linear percentile, on every value). The model is the first that GET /v1/models
        lists; prompt ids stay below its vocab_size (256 when the server gives none).

        Example: switchyard serve --model mini --port 8000 &
                 switchyard bench serve --url http://127.0.0.1:8000 --requests 64 \\
                   --concurrency 8
        Defaults: 32 requests, concurrency 8, 16 prompt tokens, 32 new tokens, seed 0.
        """
    )

    @Option(help: "The endpoint's base URL, http://HOST:PORT.") var url: String
    @Option(help: "Requests to send.") var requests = 32
    @Option(help: "Requests in flight at once (not with --rate).") var concurrency: Int?
    @Option(help: "Requests a second, Poisson arrivals (not with --concurrency).") var rate: Double?
    @Option(help: "Prompt tokens per request.") var promptTokens = 16
    @Option(help: "Tokens to generate per request.") var maxTokens = 32
    @Option(help: "Seed of the prompts and arrival times.") var seed: UInt64 = 0
    @Option(help: "Seconds one request may take.") var timeout = 300
    @Option(help: JSONOption.help) var json: String?

    func validate() throws {
        guard (1...1_000_000).contains(requests) else { throw ValidationError("--requests must be in 1...1000000, got \(requests)") }
        if concurrency != nil, rate != nil { throw ValidationError("give --concurrency or --rate, not both") }
        if let concurrency, !(1...10_000).contains(concurrency) { throw ValidationError("--concurrency must be in 1...10000, got \(concurrency)") }
        if let rate, !(rate > 0 && rate <= 1_000_000) { throw ValidationError("--rate must be above 0 and at most 1000000 requests a second, got \(rate)") }
        guard (1...65536).contains(promptTokens) else { throw ValidationError("--prompt-tokens must be in 1...65536, got \(promptTokens)") }
        guard (1...65536).contains(maxTokens) else { throw ValidationError("--max-tokens must be in 1...65536, got \(maxTokens)") }
        guard (1...86400).contains(timeout) else { throw ValidationError("--timeout must be in 1...86400 seconds, got \(timeout)") }
    }

    func run() throws {
        let load: ServeBenchmark.Load = rate.map { .rate($0) } ?? .concurrency(concurrency ?? 8)
        let bench = try ServeBenchmark(url: url, requests: requests, load: load, promptTokens: promptTokens, maxTokens: maxTokens,
                                       seed: seed, timeout: .seconds(timeout))
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let model = try bench.model(group: group)
        let (completions, seconds) = bench.run(group: group, model: model.name, prompts: bench.prompts(vocabSize: model.vocabSize ?? 256))
        let report = ServeBenchReport(completions, seconds: seconds)
        var object = report.json
        object["model"] = model.name
        object["url"] = url
        object["requests"] = requests
        object["prompt_tokens"] = promptTokens
        object["max_tokens"] = maxTokens
        switch load {
        case let .concurrency(c): object["concurrency"] = c
        case let .rate(r): object["rate_per_s"] = r
        }
        if try !JSONOption.write(object, to: json) {
            let loadText: String = switch load {
            case let .concurrency(c): "concurrency \(c)"
            case let .rate(r): "\(r) requests/s (Poisson)"
            }
            print("\(model.name) at \(url): \(Plural.count(requests, "request")), \(Plural.count(promptTokens, "prompt token")), \(Plural.count(maxTokens, "new token")), \(loadText)")
            print(report.text)
        }
        if let error = report.firstError {
            FileHandle.standardError.write(Data("bench serve: \(report.failed) of \(requests) requests failed; the first: \(error)\n".utf8))
        }
        if report.completed == 0 { throw ServeBenchFailure("no request succeeded") }
    }
}

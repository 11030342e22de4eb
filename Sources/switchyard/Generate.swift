import ArgumentParser
import Foundation
import SwitchyardLaunch
import SwitchyardModel

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Greedy decoding through the KV cache: prints the new token ids.",
        // ArgumentParser prints the usage line unwrapped: this one fits 80 columns.
        usage: "switchyard generate [<options>] --tokens <tokens>",
        discussion: """
        The prompt runs in one step; each new token then computes only
        its own position.

        Example: switchyard generate --model mini --tokens 1,2,3 --max-new-tokens 16
                 switchyard generate --checkpoint ./ckpt --tokens 5,6,7 \\
                   --max-new-tokens 8 --json
        --warmup N runs the same generation N times untimed first (mapped weights
        paged in, caches warm), as llama-bench warms up before it times.
        Defaults: --model mini, --seed 0, --dtype f32, --max-new-tokens 16,
        --warmup 0.
        """
    )

    @OptionGroup var weights: WeightsOptions
    @OptionGroup var cluster: OptionalClusterOptions
    @Option(help: "Comma-separated prompt token ids.") var tokens: TokenList
    @Option(help: "Tokens to generate.") var maxNewTokens = 16
    @Option(help: "Untimed generations run before the timed one.") var warmup = 0
    @Option(help: JSONOption.help) var json: String?

    func validate() throws {
        guard maxNewTokens >= 0, maxNewTokens <= 100_000 else { throw ValidationError("--max-new-tokens must be in 0...100000, got \(maxNewTokens)") }
        try FlagBounds.check([("--warmup", warmup, 0...100)])
    }

    func run() throws {
        var clock = ContinuousClock.now
        let loaded = try weights.load(cluster: cluster)
        defer { loaded.coordinator?.stop() }
        let loadSeconds = Self.seconds(since: &clock)
        let generator = Generator(model: loaded.model, experts: loaded.experts)
        for _ in 0..<warmup { _ = try generator.generate(prompt: tokens.ids, count: maxNewTokens) }
        loaded.model.resetTimings()
        let result = try generator.generate(prompt: tokens.ids, count: maxNewTokens)
        let shares = loaded.model.timings
        let object: [String: Any] = [
            "prompt": tokens.ids,
            "generated": result.generated,
            "timings": [
                "load_seconds": loadSeconds,
                "prefill_seconds": result.prefillSeconds,
                "prompt_tokens_per_second": Double(tokens.ids.count) / max(result.prefillSeconds, 1e-12),
                "decode_seconds": result.decodeSeconds,
                "decode_tokens_per_second": result.decodeTokensPerSecond,
                "experts_seconds": shares.routedExperts,
                "attention_seconds": shares.attention,
                "other_seconds": shares.other,
            ],
            "resident_bytes": loaded.residentBytes,
            "weights": loaded.fingerprint,
        ]
        if try JSONOption.write(object, to: json) { return }
        print(result.generated.map(String.init).joined(separator: " "))
        let total = max(shares.total, 1e-12)
        FileHandle.standardError.write(Data("""
            weights: \(loaded.fingerprint), resident \(Format.bytes(loaded.residentBytes)), loaded in \(String(format: "%.2f", loadSeconds)) s
            prefill: \(tokens.ids.count) tokens in \(String(format: "%.3f", result.prefillSeconds)) s; decode: \(String(format: "%.1f", result.decodeTokensPerSecond)) tokens/s
            time: experts \(Format.percent(shares.routedExperts / total)), attention \(Format.percent(shares.attention / total)), other \(Format.percent(shares.other / total))

            """.utf8))
    }

    static func seconds(since clock: inout ContinuousClock.Instant) -> Double {
        let now = ContinuousClock.now
        defer { clock = now }
        let d = now - clock
        return d.inSeconds
    }
}

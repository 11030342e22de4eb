import ArgumentParser
import Foundation
import SwitchyardLaunch
import SwitchyardModel
import SwitchyardCore

struct BenchModel: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Time whole decode steps of a model in one process: tokens/s and where the time goes.",
        // ArgumentParser prints the usage line unwrapped: this one fits 80 columns.
        usage: "switchyard bench model [<options>]",
        discussion: """
        Example: switchyard bench model --model mini --batch 1 --steps 32
        Defaults: the mini preset with synthetic f32 weights, a 32-token prompt, 32
        decode steps, batch 1.
        """
    )

    @OptionGroup var weights: WeightsOptions
    @Option(help: "Sequences decoded together in each step.") var batch = 1
    @Option(help: "Prompt tokens per sequence.") var promptTokens = 32
    @Option(help: "Decode steps timed.") var steps = 32
    @Option(help: JSONOption.help) var json: String?

    func validate() throws {
        guard (1...256).contains(batch), (1...4096).contains(promptTokens), (1...10_000).contains(steps) else {
            throw ValidationError("--batch must be in 1...256, --prompt-tokens in 1...4096, --steps in 1...10000")
        }
    }

    func run() throws {
        let loaded = try weights.load()
        let model = loaded.model, vocab = model.config.vocabSize
        let caches = (0..<batch).map { _ in KVCache(config: model.config) }
        let prompts = (0..<batch).map { s in (0..<promptTokens).map { (s * 7919 + $0 * 104_729) % vocab } }
        _ = try model.step(zip(caches, prompts).map { SequenceStep(cache: $0, tokens: $1) }, experts: loaded.experts)
        model.resetTimings()
        var next = prompts.map { $0.last! }
        let start = ContinuousClock.now
        for _ in 0..<steps {
            let logits = try model.step(zip(caches, next).map { SequenceStep(cache: $0, tokens: [$1]) }, experts: loaded.experts)
            next = (0..<batch).map { Generator.argmax(logits, row: $0, width: vocab) }
        }
        let elapsed = ContinuousClock.now - start
        let seconds = elapsed.inSeconds
        let t = model.timings, total = max(t.total, 1e-12)
        let tokensPerSecond = Double(steps * batch) / seconds
        let object: [String: Any] = ["tokens_per_second": tokensPerSecond, "step_seconds": seconds / Double(steps),
                                     "share_experts": t.routedExperts / total, "share_attention": t.attention / total,
                                     "share_other": t.other / total, "batch": batch, "weights": loaded.fingerprint]
        if try JSONOption.write(object, to: json) { return }
        print("\(loaded.fingerprint), batch \(batch), \(steps) decode steps after \(promptTokens) prompt tokens")
        print(Table(header: ["measure", "value"], rows: [
            ["decode tokens/s", String(format: "%.1f", tokensPerSecond)],
            ["step time", String(format: "%.2f ms", seconds / Double(steps) * 1e3)],
            ["routed experts", Format.percent(t.routedExperts / total)],
            ["attention", Format.percent(t.attention / total)],
            ["other (router, shared expert, norms, LM head)", Format.percent(t.other / total)],
        ], rightAligned: [1]).render())
    }
}

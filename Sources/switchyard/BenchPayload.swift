import ArgumentParser
import Foundation
import SwitchyardCore
import SwitchyardRuntime

struct BenchPayload: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "payload",
        abstract: "Measure how narrow wire payloads move the model from the float32 wire.",
        // ArgumentParser prints the usage line unwrapped: this one fits 80 columns.
        usage: "switchyard bench payload [<options>]",
        discussion: """
        Generates --new-tokens greedily after each of --prompts seeded prompts over a
        float32 wire (--hosts in-process hosts), then reads each continuation once per
        payload (bf16; fp8 dispatch with bf16 combine; fp8 both ways) and compares
        every continuation position's logits with the float32 wire's: the largest and
        mean of max |Δlogit| ÷ max |logit|, and the share of positions whose greedy
        token is unchanged.

        Example: switchyard bench payload --model mini --prompts 16
        Defaults: mini, 16 prompts of 16 tokens, 16 new tokens, 8 hosts.
        """
    )

    @OptionGroup var weights: WeightsOptions
    @Option(help: "Prompts (seeded token ids).") var prompts = 16
    @Option(help: "Tokens per prompt.") var promptTokens = 16
    @Option(help: "Tokens generated per prompt, whose positions are compared.") var newTokens = 16
    @Option(help: "In-process expert hosts.") var hosts = 8
    @Option(help: JSONOption.help) var json: String?

    func validate() throws {
        try FlagBounds.check([("--prompts", prompts, 1...1000), ("--prompt-tokens", promptTokens, 1...4096),
                              ("--new-tokens", newTokens, 1...1000), ("--hosts", hosts, 1...64)])
    }

    func run() throws {
        let (config, source) = try weights.source()
        var random = SplitMix64(seed: 2026)
        let promptList = (0..<prompts).map { _ in (0..<promptTokens).map { _ in Int(random.next() % UInt64(config.vocabSize)) } }
        let payloads = [ActivationPayloads.bf16, ActivationPayloads(dispatch: .fp8, combine: .bf16), ActivationPayloads(.fp8)]
        let figures = try PayloadAccuracy.measure(config: config, source: source, payloads: payloads, prompts: promptList,
                                                  newTokens: newTokens, hosts: hosts)
        let rows: [[String: Any]] = figures.map {
            ["dispatch": $0.payload.dispatch.rawValue, "combine": $0.payload.combine.rawValue, "max_relative_error": $0.maxRelativeError,
             "mean_relative_error": $0.meanRelativeError, "greedy_agreement": $0.agreement, "positions": $0.positions]
        }
        if try JSONOption.write(["weights": source.fingerprint, "payloads": rows], to: json) { return }
        print("\(source.fingerprint), \(prompts) prompts × \(newTokens) positions, against the f32 wire")
        print(Table(header: ["payload", "max rel. error", "mean rel. error", "greedy agreement"], rows: figures.map {
            [$0.payload.description, String(format: "%.2e", $0.maxRelativeError), String(format: "%.2e", $0.meanRelativeError),
             String(format: "%.1f%% (%d of %d)", 100 * $0.agreement, $0.agreeing, $0.positions)]
        }, rightAligned: [1, 2, 3]).render())
    }
}

import ArgumentParser
import Foundation
import SwitchyardLaunch
import SwitchyardModel
import SwitchyardCore

struct Forward: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compute the logits of a token sequence and write them as a NumPy .npy file.",
        // ArgumentParser prints the usage line unwrapped: this one fits 80 columns.
        usage: "switchyard forward [<options>] --tokens <tokens> --output <output>",
        discussion: """
        Writes float32 logits of shape [tokens, vocab], little-endian, C order.

        Example: switchyard forward --model tiny --seed 1 --tokens 1,2,3 \\
                   --output logits.npy
                 switchyard forward --checkpoint ./ckpt --tokens 5,6,7 --output x.npy
        Defaults: --model mini, --seed 0, --dtype f32.
        """
    )

    @OptionGroup var weights: WeightsOptions
    @OptionGroup var cluster: OptionalClusterOptions
    @Option(help: "Comma-separated token ids.") var tokens: TokenList
    @Option(help: "The .npy file to write.") var output: String

    func run() throws {
        let loaded = try weights.load(cluster: cluster)
        defer { loaded.coordinator?.stop() }
        let logits = try loaded.model.step([SequenceStep(cache: KVCache(config: loaded.model.config), tokens: tokens.ids)],
                                           experts: loaded.experts)
        try NumpyArray(shape: [tokens.ids.count, loaded.model.config.vocabSize], values: logits)
            .write(to: URL(fileURLWithPath: output))
        FileHandle.standardError.write(Data("forward: \(Plural.count(tokens.ids.count, "token")) → \(output); resident weights \(Format.bytes(loaded.residentBytes)) (\(loaded.fingerprint))\n".utf8))
    }
}

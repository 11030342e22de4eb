import Foundation
import Testing
@testable import SwitchyardModel
import SwitchyardModelConfig

@Suite struct ConfigJSONTextTests {
    /// transformers' config classes reject `"routed_scaling_factor": 1`; floats keep their point.
    @Test func floatFieldsAreWrittenAsFloats() throws {
        let text = String(decoding: try CheckpointWriter.configJSON(ModelPreset.tiny.config, dtype: .f32), as: UTF8.self)
        for member in [#""routed_scaling_factor" : 1.0"#, #""rope_theta" : 10000.0"#, #""factor" : 4.0"#,
                       #""beta_fast" : 32.0"#, #""mscale_all_dim" : 1.0"#, #""llama_4_scaling_beta" : 0.1"#] {
            #expect(text.contains(member), "missing \(member) in\n\(text)")
        }
        // Integers stay integers.
        #expect(text.contains(#""hidden_size" : 64,"#) && text.contains(#""original_max_position_embeddings" : 64"#))
        // And the text reads back as the same configuration.
        #expect(try ModelConfig.decode(Data(text.utf8), file: "config.json") == ModelPreset.tiny.config)
    }
}

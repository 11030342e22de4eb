import Foundation

/// config.json text as transformers reads it: its config classes check types strictly, so a
/// float field must be written `1.0`, never `1` (which Foundation writes for 1.0).
enum ConfigJSONText {
    /// Keys whose numbers are floats in transformers' Mistral4Config and its rope parameters.
    static let floatKeys: Set<String> = [
        "routed_scaling_factor", "rms_norm_eps", "rope_theta", "factor", "beta_fast", "beta_slow",
        "mscale", "mscale_all_dim", "llama_4_scaling_beta", "attention_factor",
    ]

    /// Pretty-printed JSON with sorted keys, one member a line, float members always with a point.
    static func render(_ object: [String: Any]) throws -> Data {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            // `"key" : 12,` → `"key" : 12.0,` for float keys whose value printed as an integer.
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { return String(line) }
            let key = parts[0].trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            var value = parts[1].trimmingCharacters(in: .whitespaces)
            let comma = value.hasSuffix(",")
            if comma { value.removeLast() }
            guard floatKeys.contains(key), Int(value) != nil else { return String(line) }
            return "\(parts[0]): \(value).0\(comma ? "," : "")"
        }
        return Data((lines.joined(separator: "\n") + "\n").utf8)
    }
}

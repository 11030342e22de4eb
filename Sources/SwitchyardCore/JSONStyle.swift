import Foundation

/// The one shape of every JSON file and `--json` output Switchyard writes: snake_case keys with the
/// unit in the name where a value has one (`_bytes`, `_seconds`, `_ms`, `_gb_per_s`), keys sorted,
/// slashes as they are. Documents are pretty-printed; line-per-record files (`jsonLines`) are not.
public enum JSONStyle {
    public static let documentOptions: JSONSerialization.WritingOptions = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    public static let lineOptions: JSONSerialization.WritingOptions = [.sortedKeys, .withoutEscapingSlashes]

    /// A pretty-printed document of a `JSONSerialization` object.
    public static func data(_ object: Any) throws -> Data {
        try JSONSerialization.data(withJSONObject: object, options: documentOptions)
    }

    /// An encoder for documents (`lines: false`) or for one record a line.
    public static func encoder(lines: Bool = false) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = lines ? [.sortedKeys, .withoutEscapingSlashes] : [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}

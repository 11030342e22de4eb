import ArgumentParser
import Foundation
import SwitchyardCore

/// `--json [FILE]`, the same on every command: a bare `--json` prints the JSON on stdout instead of
/// the text; `--json FILE` prints the text as usual and writes the same JSON into FILE. Both are
/// `JSONStyle` documents. ArgumentParser has no option with an optional value, so a bare `--json`
/// (last, or followed by another option) is handed to it as `--json -`, and "-" means stdout.
enum JSONOption {
    static let help = ArgumentHelp("--json alone: the figures as JSON on stdout instead of the text; --json FILE: the text, and the JSON into FILE.",
                                   valueName: "file")

    static func normalize(_ arguments: [String]) -> [String] {
        var out: [String] = []
        for (index, argument) in arguments.enumerated() {
            if argument == "--" { return out + arguments[index...] }
            out.append(argument)
            if argument == "--json", index + 1 == arguments.count || (arguments[index + 1].hasPrefix("-") && arguments[index + 1] != "-") {
                out.append("-")
            }
        }
        return out
    }

    /// Writes `object` where `--json` said. Returns true when it went to stdout, so the caller
    /// prints no text.
    @discardableResult
    static func write(_ object: Any, to destination: String?) throws -> Bool {
        guard let destination else { return false }
        let data = try JSONStyle.data(object)
        if destination == "-" {
            print(String(decoding: data, as: UTF8.self))
            return true
        }
        try OutputFile.write(data, to: destination)
        return false
    }

    /// The same for an `Encodable` value.
    @discardableResult
    static func write(_ value: some Encodable, to destination: String?) throws -> Bool {
        guard destination != nil else { return false }
        return try write(try JSONSerialization.jsonObject(with: JSONStyle.encoder().encode(value)), to: destination)
    }
}

/// `--json [FILE]`: JSON on stdout, or with a file name into that file. ArgumentParser has no
/// option with an optional value, so for the commands listed here a bare `--json` (last, or
/// followed by another option) is handed to it as `--json -`, and "-" means stdout.
enum JSONOption {
    /// Subcommand paths whose `--json` takes an optional file.
    static let commands: [[String]] = [["bench", "serve"]]

    static func normalize(_ arguments: [String]) -> [String] {
        guard commands.contains(where: { arguments.starts(with: $0) }) else { return arguments }
        var out: [String] = []
        for (index, argument) in arguments.enumerated() {
            out.append(argument)
            if argument == "--json", index + 1 == arguments.count || arguments[index + 1].hasPrefix("-") { out.append("-") }
        }
        return out
    }
}

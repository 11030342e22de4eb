/// Label–value lines with the values aligned, for summaries.
enum KeyValueList {
    static func render(_ rows: [(String, String)]) -> String {
        let width = rows.map(\.0.count).max() ?? 0
        return rows.map { ($0.0 + String(repeating: " ", count: width - $0.0.count + 2) + $0.1).trimmingTrailingSpaces() }.joined(separator: "\n")
    }
}

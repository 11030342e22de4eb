/// The kinds of physical quantity a topology file states, each with the units it accepts.
/// Values are held in SI units: bytes, bytes per second, FLOP per second, seconds.
public enum QuantityKind: Sendable {
    case bytes, bandwidth, throughput, duration

    /// Units accepted in strings, and their factor to the SI unit.
    var units: [String: Double] {
        switch self {
        case .bytes:
            ["B": 1, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12,
             "KiB": 1024, "MiB": 1_048_576, "GiB": 1_073_741_824, "TiB": 1_099_511_627_776]
        case .bandwidth:
            ["B/s": 1, "KB/s": 1e3, "MB/s": 1e6, "GB/s": 1e9, "TB/s": 1e12,
             "Kb/s": 125, "Mb/s": 125e3, "Gb/s": 125e6, "Tb/s": 125e9, "Gbit/s": 125e6, "Gbps": 125e6]
        case .throughput:
            ["FLOPS": 1, "GFLOPS": 1e9, "TFLOPS": 1e12, "PFLOPS": 1e15]
        case .duration:
            ["s": 1, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9]
        }
    }

    /// A bare number is read in this unit: GB, GB/s, TFLOPS, microseconds.
    var baseUnitScale: Double {
        switch self {
        case .bytes: 1e9
        case .bandwidth: 1e9
        case .throughput: 1e12
        case .duration: 1e-6
        }
    }

    var noun: String {
        switch self {
        case .bytes: "a size"
        case .bandwidth: "a bandwidth"
        case .throughput: "a throughput"
        case .duration: "a duration"
        }
    }

    var example: String {
        switch self {
        case .bytes: "80 GB"
        case .bandwidth: "450 GB/s"
        case .throughput: "989 TFLOPS"
        case .duration: "3 us"
        }
    }

    /// Reads "3.35 TB/s" (space optional) into SI units.
    func parse(_ text: String) throws(QuantityParseError) -> Double {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let numberEnd = trimmed.firstIndex { !($0.isNumber || $0 == "." || $0 == "-" || $0 == "+" || $0 == "e" || $0 == "E") } ?? trimmed.endIndex
        let unit = trimmed[numberEnd...].trimmingCharacters(in: .whitespaces)
        guard let amount = Double(trimmed[..<numberEnd]) else {
            throw QuantityParseError(problem: "\"\(text)\" is not \(noun) such as \"\(example)\"")
        }
        guard let scale = units[unit] else {
            let accepted = units.keys.sorted { units[$0]! < units[$1]! }.joined(separator: ", ")
            throw QuantityParseError(problem: "\"\(text)\" has the wrong unit for \(noun): \(unit.isEmpty ? "no unit" : "\"\(unit)\""); expected one of \(accepted)")
        }
        return amount * scale
    }
}

struct QuantityParseError: Error {
    var problem: String
}

import Foundation

import ArgumentParser
import SwitchyardCore
import SwitchyardModelConfig

/// The ranges numeric flags may take, checked in each command's `validate()` so that a bad value
/// exits 2 naming the flag and the range before anything is sized from it.
enum FlagBounds {
    /// Tokens one step, rank or benchmark moves: far above any batch, small enough that
    /// tokens × hidden × bytes stays an ordinary allocation.
    static let tokens = 1...(1 << 20)
    static let hidden = ModelConfig.bounds.hiddenSize
    static let experts = ModelConfig.bounds.nRoutedExperts
    /// Context lengths and prompt lengths the simulator and planner count in.
    static let context = ModelConfig.bounds.maxPositionEmbeddings
    static let devices = 1...65536
    static let seconds = 1...3600
    /// Kernel threads of one process: more than any machine's cores is a typo.
    static let threads = 1...4096

    /// Throws for the first flag outside its range.
    static func check(_ flags: [(String, Int, ClosedRange<Int>)]) throws {
        for (flag, value, allowed) in flags {
            if let problem = InputBounds.problem(value, allowed: allowed) { throw ValidationError("\(flag) \(problem)") }
        }
    }

    static func check(_ flag: String, _ value: Double, _ allowed: ClosedRange<Double>) throws {
        if let problem = InputBounds.problem(value, allowed: allowed) { throw ValidationError("\(flag) \(problem)") }
    }

    /// A product of flags (a buffer's size, say) that must stay at or under `limit`.
    static func checkProduct(_ description: String, _ factors: [Int], limit: Int) throws {
        guard let product = InputBounds.product(factors), product <= limit else {
            throw ValidationError("\(description) must be at most \(limit), got \(factors.map(String.init).joined(separator: " × "))")
        }
    }
}

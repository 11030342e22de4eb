import ArgumentParser
import Foundation
import SwitchyardKernels
import SwitchyardLaunch

/// `topology calibrate`'s expert worker: one of the processes that run the expert kernels at once
/// (`CalibrationRun.measureSharedExperts`). Prints "ready", waits for a line on standard input,
/// then prints the work it did and when it ended.
struct TopologyCalibrateWorker: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "calibrate-worker", abstract: "One expert worker of topology calibrate.",
                                                    shouldDisplay: false)

    @Option var loop: String
    @Option var hidden: Int
    @Option var intermediate: Int
    @Option var experts: Int
    @Option var passes: Int
    @Option var tokens = 1
    @Option var threads: Int?
    /// Runs the memory loop in rounds of this many experts, each started by a line on standard
    /// input and answered with "d" (`CalibrationRun.sharedRate`).
    @Option var roundExperts: Int?

    func validate() throws {
        try FlagBounds.check([("--hidden", hidden, FlagBounds.hidden), ("--intermediate", intermediate, 1...65536),
                              ("--experts", experts, 1...4096), ("--passes", passes, 1...1_000_000),
                              ("--tokens", tokens, 1...Linear.streamingTokenLimit)])
        if let threads { try FlagBounds.check([("--threads", threads, FlagBounds.threads)]) }
        if let roundExperts { try FlagBounds.check([("--round-experts", roundExperts, 1...4096)]) }
        try FlagBounds.checkProduct("the experts' float32 weights in bytes", [3, hidden, intermediate, experts, 4], limit: 1 << 30)
        guard CalibrationRun.ExpertLoop(rawValue: loop) != nil else { throw ValidationError("--loop must be memory or flops") }
    }

    func run() throws {
        if let threads { Parallelism.limit(to: threads) }
        let result = CalibrationRun.expertWorker(CalibrationRun.ExpertLoop(rawValue: loop)!, hidden: hidden, intermediate: intermediate,
                                                 experts: experts, passes: passes, tokens: tokens,
                                                 rounds: roundExperts.map { count in
                                                     (count, { if readLine() == nil { Self.parentGone() } }, {
                                                         do { try FileHandle.standardOutput.write(contentsOf: Data("d\n".utf8)) } catch { Self.parentGone() }
                                                     })
                                                 }) {
            // Straight to the pipe, not through print's buffer: the parent waits for it. A pipe
            // closed on either side means the calibration that started this worker is gone.
            do { try FileHandle.standardOutput.write(contentsOf: Data("ready\n".utf8)) } catch { Self.parentGone() }
            if readLine() == nil { Self.parentGone() }
        }
        print(String(format: "%.6e %.6f", result.work, result.end))
    }

    /// Ends the worker when its parent went away before the common start (stopped or killed).
    static func parentGone() -> Never {
        FileHandle.standardError.write(Data("switchyard topology calibrate-worker: the calibration that started this worker is gone; stopping\n".utf8))
        Foundation.exit(1)
    }
}

import Foundation
import Testing
import SwitchyardLaunch

/// The pieces of `topology calibrate`'s shared expert measurement that run without timing: a
/// worker's rounds and the parent's reading of its lines.
@Suite struct CalibrationWorkerTests {
    @Test func aWorkerInRoundsWaitsBeforeEachAndAnswersAfterIt() {
        var events: [String] = []
        let hidden = 16, intermediate = 8, passes = 3, perRound = 5
        let result = CalibrationRun.expertWorker(.memory, hidden: hidden, intermediate: intermediate, experts: 2, passes: passes, tokens: 2,
                                                 rounds: (perRound, { events.append("wait") }, { events.append("done") }),
                                                 ready: { events.append("ready") })
        #expect(events == ["ready"] + Array(repeating: ["wait", "done"], count: passes).flatMap { $0 })
        // Every round streams its 5 experts (cycling through the worker's 2): bytes of 15 calls.
        #expect(result.work == Double(3 * hidden * intermediate * 4 * passes * perRound))
    }

    @Test func withoutRoundsEveryPassStreamsEveryExpert() {
        let result = CalibrationRun.expertWorker(.memory, hidden: 16, intermediate: 8, experts: 3, passes: 2, ready: {})
        #expect(result.work == Double(3 * 16 * 8 * 4 * 3 * 2))
    }

    @Test func aWorkerLineIsReadUpToItsNewlineOnly() throws {
        let pipe = Pipe()
        pipe.fileHandleForWriting.write(Data("ready\nd\nrest".utf8))
        #expect(try CalibrationRun.line(from: pipe, within: .seconds(5)) == "ready")
        #expect(try CalibrationRun.line(from: pipe, within: .seconds(5)) == "d")
        // What follows stays in the pipe: a line without its newline, then the writer gone.
        try pipe.fileHandleForWriting.close()
        #expect(throws: LaunchFailure.self) { try CalibrationRun.line(from: pipe, within: .seconds(5)) }
    }

    @Test func aSilentWorkerFailsAtTheDeadline() throws {
        let pipe = Pipe()
        let start = ContinuousClock.now
        #expect(throws: LaunchFailure.self) { try CalibrationRun.line(from: pipe, within: .milliseconds(50)) }
        #expect(ContinuousClock.now - start >= .milliseconds(50))
    }

    @Test func anOverlongLineIsRefused() throws {
        let pipe = Pipe()
        pipe.fileHandleForWriting.write(Data(String(repeating: "x", count: 300).utf8))
        #expect(throws: LaunchFailure.self) { try CalibrationRun.line(from: pipe, within: .seconds(5)) }
    }
}

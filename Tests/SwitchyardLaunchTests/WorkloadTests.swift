import Foundation
import Testing
import SwitchyardLaunch

@Suite struct WorkloadTests {
    @Test func theDefaultsAreValid() throws {
        try Workload().validate()
        #expect(Workload().totalNewTokens == 8 * 16)
    }

    @Test(arguments: [
        (Workload(requests: 0), "--requests must be in 1...100000, got 0"),
        (Workload(requests: 100_001), "--requests must be in 1...100000, got 100001"),
        (Workload(promptTokens: 0), "--prompt-tokens must be in 1...65536, got 0"),
        (Workload(newTokens: -1), "--new-tokens must be in 0...65536, got -1"),
        (Workload(maxBatch: 5000), "--max-batch must be in 1...4096, got 5000"),
        (Workload(metricsPort: 70000), "--metrics-port must be in 0...65535, got 70000"),
    ])
    func aFigureOutOfRangeNamesItsFlag(workload: Workload, message: String) {
        #expect(throws: LaunchInputError(message)) { try workload.validate() }
    }

    @Test func theFlagsCarryEveryChoice() {
        let workload = Workload(requests: 3, promptTokens: 5, newTokens: 4, maxBatch: 2, out: "/tmp/r", quiet: true, metricsPort: 0,
                                metricsAddress: "0.0.0.0")
        #expect(workload.arguments == ["--requests", "3", "--prompt-tokens", "5", "--new-tokens", "4", "--max-batch", "2", "--out", "/tmp/r",
                                       "--quiet", "--metrics-port", "0", "--metrics-address", "0.0.0.0"])
        #expect(Workload().arguments == ["--requests", "8", "--prompt-tokens", "16", "--new-tokens", "16", "--max-batch", "8"])
    }

    @Test func theDefaultRunDirectoryIsTheUTCTimeAndTheProcess() throws {
        // 2024-01-02 03:04:05 UTC.
        let date = Date(timeIntervalSince1970: 1_704_164_645)
        #expect(RunDirectory.defaultPath(date: date, pid: 42) == "runs/20240102-030405-42")
        #expect(RunDirectory.defaultPath(date: date, pid: 43) != RunDirectory.defaultPath(date: date, pid: 42))
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("sy-rundir-\(getpid())/a/b")
        defer { try? FileManager.default.removeItem(at: out.deletingLastPathComponent().deletingLastPathComponent()) }
        let url = try RunDirectory.create(out.path)
        var isDirectory: ObjCBool = false
        #expect(url.path == out.path && FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && isDirectory.boolValue)
    }
}

import Foundation

/// What a finished child process left behind.
public struct ProcessResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

public enum TestProducts {
    /// The folder holding the package's built executables (the one this test binary is in).
    public static var directory: URL {
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var url = URL(fileURLWithPath: me)
        // On Linux the tests run from .build/<triple>/debug/NamePackageTests.xctest.
        while url.pathComponents.count > 1, !FileManager.default.fileExists(atPath: url.appendingPathComponent("switchyard").path) {
            url.deleteLastPathComponent()
        }
        return url
    }

    public static func executable(_ name: String) -> String {
        directory.appendingPathComponent(name).path
    }
}

public enum Subprocess {
    /// Runs `executable` with `arguments`, killing it if it has not finished within `timeout`.
    public static func run(
        _ executable: String, _ arguments: [String],
        environment: [String: String] = [:],
        directory: String? = nil,
        timeout: Duration = .seconds(120)
    ) throws -> ProcessResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        process.environment = env
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Drain both pipes while the child runs, so a chatty child cannot block on a full pipe.
        let outData = Drain(out.fileHandleForReading), errData = Drain(err.fileHandleForReading)
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            if ContinuousClock.now > deadline {
                process.terminate()
                Thread.sleep(forTimeInterval: 0.5)
                if process.isRunning { kill(process.processIdentifier, SIGKILL) }
                process.waitUntilExit()
                throw SubprocessTimeout(command: ([executable] + arguments).joined(separator: " "), timeout: timeout,
                                        stdout: outData.text(), stderr: errData.text())
            }
            Thread.sleep(forTimeInterval: 0.01)
        }
        process.waitUntilExit()
        return ProcessResult(status: process.terminationStatus, stdout: outData.text(), stderr: errData.text())
    }
}

public struct SubprocessTimeout: Error, CustomStringConvertible {
    public var command: String
    public var timeout: Duration
    public var stdout: String
    public var stderr: String
    public var description: String { "\(command) did not finish within \(timeout)\nstdout: \(stdout)\nstderr: \(stderr)" }
}

/// Reads a pipe to its end on a background thread.
final class Drain: @unchecked Sendable {
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            data = handle.readDataToEndOfFile()
            done.signal()
        }
    }

    func text() -> String {
        _ = done.wait(timeout: .now() + 10)
        return String(decoding: data, as: UTF8.self)
    }
}

import Foundation

/// A child's standard error (or output) as it arrives, so a test can wait, with a deadline, for
/// a line to appear: woken by the data itself, never by polling a file.
public final class OutputWatch: @unchecked Sendable {
    public let pipe = Pipe()
    private let condition = NSCondition()
    private var text = ""
    private var ended = false

    public init() {
        pipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard let self else { return }
            self.condition.lock()
            if data.isEmpty {
                self.ended = true
                handle.readabilityHandler = nil
            } else {
                self.text += String(decoding: data, as: UTF8.self)
            }
            self.condition.broadcast()
            self.condition.unlock()
        }
    }

    /// Everything read so far.
    public var output: String {
        condition.lock()
        defer { condition.unlock() }
        return text
    }

    /// The first non-nil `found(output)`, waiting for more output until `seconds` pass or the
    /// stream ends; nil then.
    public func wait<T>(within seconds: Double, for found: (String) -> T?) -> T? {
        let deadline = Date().addingTimeInterval(seconds)
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let value = found(text) { return value }
            if ended || !condition.wait(until: deadline) { return found(text) }
        }
    }
}

/// A child's exit, waited for with a deadline on its termination handler (no polling). Made
/// before the process runs.
public final class ProcessExit: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)

    public init(_ process: Process) {
        process.terminationHandler = { [done] _ in done.signal() }
    }

    /// The exit status once the process has ended within `seconds`; nil when it is still running.
    public func wait(_ process: Process, within seconds: Int) -> Int32? {
        guard done.wait(timeout: .now() + .seconds(seconds)) == .success else { return nil }
        process.waitUntilExit()
        return process.terminationStatus
    }
}

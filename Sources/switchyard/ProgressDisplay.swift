import Foundation
import SwitchyardLaunch

/// A long run's progress on stderr: a bar redrawn in place on a terminal, a plain line every
/// `interval` otherwise (logs, CI), nothing when quiet.
struct ProgressDisplay {
    enum Style { case bar, lines, none }

    let style: Style
    let totalTokens: Int
    let interval: Duration
    private let started = ContinuousClock.now
    private var last: ContinuousClock.Instant

    init(quiet: Bool, totalTokens: Int, interactive: Bool = isatty(STDERR_FILENO) != 0) {
        style = quiet ? .none : interactive ? .bar : .lines
        self.totalTokens = totalTokens
        interval = interactive ? .milliseconds(100) : .seconds(1)
        last = started
    }

    mutating func update(steps: Int, tokens: Int, bytes: Int) {
        guard style != .none, ContinuousClock.now - last >= interval else { return }
        last = ContinuousClock.now
        FileHandle.standardError.write(Data(line(steps: steps, tokens: tokens, bytes: bytes, elapsed: seconds(last - started)).utf8))
    }

    /// Clears the bar so what follows starts on a clean line.
    func finish() {
        if style == .bar { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }

    func line(steps: Int, tokens: Int, bytes: Int, elapsed: Double) -> String {
        let rate = elapsed > 0 ? Double(tokens) / elapsed : 0
        let text = "step \(steps): \(tokens)/\(totalTokens) tokens, \(String(format: "%.1f", rate)) tokens/s, \(Format.bytes(bytes)) moved"
        guard style == .bar else { return text + "\n" }
        let width = 30, done = totalTokens > 0 ? min(width, width * tokens / totalTokens) : 0
        return "\r\u{1B}[K[" + String(repeating: "#", count: done) + String(repeating: ".", count: width - done) + "] " + text
    }

    private func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18 }
}

/// What an exchange costs beyond its link model when its dispatch follows an idle gap: processes
/// sharing a CPU that sleep between exchanges must be woken and scheduled before they read it
/// (`scale_up.wake_up`, measured by `topology calibrate`). A curve over the gap: each point gives,
/// after that long idle, a fixed delay per exchange and a delay per message (per host woken).
public struct WakeUpCosts: Equatable, Sendable {
    public struct Point: Equatable, Sendable {
        /// Seconds the exchange's processes were idle before its dispatch.
        public var idleSeconds: Double
        /// Seconds added once to the exchange.
        public var latencySeconds: Double
        /// Seconds added per dispatch message (each a process to wake).
        public var messageSeconds: Double

        public init(idleSeconds: Double, latencySeconds: Double, messageSeconds: Double) {
            self.idleSeconds = idleSeconds
            self.latencySeconds = latencySeconds
            self.messageSeconds = messageSeconds
        }
    }

    /// By strictly increasing `idleSeconds`; empty: nothing to wake (every preset).
    public var points: [Point]

    public static let none = WakeUpCosts(points: [])

    public init(points: [Point]) {
        self.points = points
    }

    /// Seconds an exchange of `messages` dispatch messages after `idleSeconds` idle pays:
    /// latency + messages × message cost, each linear in the gap between neighbouring points, from
    /// 0 at a gap of 0 (back to back) to the first point, and the last point's beyond it.
    public func seconds(idleSeconds: Double, messages: Double) -> Double {
        guard idleSeconds > 0, messages > 0, !points.isEmpty else { return 0 }
        let curve = [Point(idleSeconds: 0, latencySeconds: 0, messageSeconds: 0)] + points
        let latency = PiecewiseLinear.value(at: idleSeconds, curve, x: \.idleSeconds, y: \.latencySeconds)
        let perMessage = PiecewiseLinear.value(at: idleSeconds, curve, x: \.idleSeconds, y: \.messageSeconds)
        return latency + messages * perMessage
    }
}

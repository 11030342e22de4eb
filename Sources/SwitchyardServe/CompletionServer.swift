import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// The HTTP side of `switchyard serve`: swift-nio's HTTP/1.1 server on its own event loops,
/// bound to one address (127.0.0.1 unless told otherwise). Port 0 takes any free port (`port`).
public final class CompletionServer: @unchecked Sendable {
    public let host: String
    public let port: Int
    public let endpoint: CompletionEndpoint
    private let group: MultiThreadedEventLoopGroup
    private let listener: Channel

    public init(host: String = "127.0.0.1", port: Int, endpoint: CompletionEndpoint, threads: Int = 1) throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(CompletionHTTPHandler(endpoint: endpoint))
                }
            }
        do {
            listener = try bootstrap.bind(host: host, port: port).wait()
        } catch {
            try? group.syncShutdownGracefully()
            throw ServeInputError("cannot listen on \(host):\(port): \(error)")
        }
        self.group = group
        self.host = host
        self.port = listener.localAddress?.port ?? port
        self.endpoint = endpoint
    }

    /// `http://host:port`.
    public var url: String { "http://\(host.contains(":") ? "[\(host)]" : host):\(port)" }

    /// Stops accepting connections; those open go on.
    public func stopAccepting() {
        try? listener.close().wait()
    }

    /// Waits up to `grace` for the answers still being written (the model thread has sent their
    /// last events), then closes every connection and the event loops.
    public func shutdown(grace: Duration = .seconds(2)) {
        stopAccepting()
        let deadline = ContinuousClock.now + grace
        while endpoint.openAnswers > 0, ContinuousClock.now < deadline { usleep(10_000) }
        // Let the last events' writes reach their sockets.
        usleep(50_000)
        try? group.syncShutdownGracefully()
    }
}

/// A wrong flag or an address that cannot be bound: exit code 2.
public struct ServeInputError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

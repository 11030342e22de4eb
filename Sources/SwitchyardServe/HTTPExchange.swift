import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// One HTTP/1.1 request on its own connection, with the time each piece of the answer arrived:
/// the client side of `switchyard bench serve` (swift-nio, like the server).
public struct HTTPExchange: Sendable {
    public struct Answer: Sendable {
        public var status: Int
        /// Body bytes in arrival order, each with its arrival time.
        public var parts: [(time: ContinuousClock.Instant, bytes: [UInt8])]
        public var body: Data { Data(parts.flatMap(\.bytes)) }
    }

    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    /// Sends `method path` with `body` to host:port and completes with the whole answer, or fails
    /// when the connection cannot be made, closes early, or `timeout` passes.
    public static func send(group: EventLoopGroup, host: String, port: Int, method: HTTPMethod, path: String, body: Data?,
                            timeout: Duration) -> EventLoopFuture<Answer> {
        let loop = group.next()
        let promise = loop.makePromise(of: Answer.self)
        let bootstrap = ClientBootstrap(group: loop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(5))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(AnswerRecorder(promise: promise))
                }
            }
        bootstrap.connect(host: host, port: port).whenComplete { result in
            switch result {
            case let .failure(error):
                promise.fail(Failure(description: "cannot connect to \(host):\(port): \(error)"))
            case let .success(channel):
                var headers = HTTPHeaders([("host", "\(host):\(port)"), ("accept", "*/*")])
                if let body {
                    headers.add(name: "content-type", value: "application/json")
                    headers.add(name: "content-length", value: String(body.count))
                }
                channel.write(HTTPClientRequestPart.head(HTTPRequestHead(version: .http1_1, method: method, uri: path, headers: headers)), promise: nil)
                if let body { channel.write(HTTPClientRequestPart.body(.byteBuffer(channel.allocator.buffer(bytes: body))), promise: nil) }
                channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
                let timer = channel.eventLoop.scheduleTask(in: .nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000)) {
                    promise.fail(Failure(description: "no complete answer within \(timeout)"))
                    channel.close(promise: nil)
                }
                promise.futureResult.whenComplete { _ in
                    timer.cancel()
                    channel.close(promise: nil)
                }
            }
        }
        return promise.futureResult
    }
}

/// Collects one answer; fails the promise if the connection ends before the answer does.
final class AnswerRecorder: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    private let promise: EventLoopPromise<HTTPExchange.Answer>
    private var answer = HTTPExchange.Answer(status: 0, parts: [])
    private var done = false

    init(promise: EventLoopPromise<HTTPExchange.Answer>) {
        self.promise = promise
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case let .head(head): answer.status = Int(head.status.code)
        case let .body(buffer): answer.parts.append((ContinuousClock.now, Array(buffer.readableBytesView)))
        case .end:
            done = true
            promise.succeed(answer)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !done { promise.fail(HTTPExchange.Failure(description: "the server closed the connection before the answer ended")) }
        done = true
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if !done { promise.fail(HTTPExchange.Failure(description: "\(error)")) }
        done = true
        context.close(promise: nil)
    }
}

import Foundation
import NIOCore
import NIOHTTP1

/// One HTTP/1.1 connection: routes `POST /v1/completions`, `GET /v1/models`, `GET /health` and
/// `GET /metrics`; hands a completion to the queue and writes what the model thread sends back,
/// whole or as server-sent events. A connection that closes mid-answer cancels its request.
/// Runs on the connection's event loop only; the model thread reaches it through `execute`.
final class CompletionHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let endpoint: CompletionEndpoint
    private var head: HTTPRequestHead?
    private var body = ByteBuffer()
    private var bodyTooLarge = false
    private var answer: Answer?
    private var serial = 0

    /// A completion being answered on this connection.
    struct Answer {
        var serial: Int
        var id: Int
        var text: CompletionText
        var stream: Bool
        var includeUsage: Bool
        var keepAlive: Bool
        var version: HTTPVersion
        var tokens: [Int] = []
    }

    init(endpoint: CompletionEndpoint) {
        self.endpoint = endpoint
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case let .head(requestHead):
            head = requestHead
            body.clear()
            bodyTooLarge = false
        case var .body(chunk):
            if body.readableBytes + chunk.readableBytes > endpoint.maxBodyBytes { bodyTooLarge = true } else { body.writeBuffer(&chunk) }
        case .end:
            guard let requestHead = head else { return }
            head = nil
            route(requestHead, context: context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let answer {
            // The client went away: its sequence leaves the batch (or the queue) instead of running on.
            if endpoint.queue.cancel(answer.id) { endpoint.metrics.count(.cancelled) }
            self.answer = nil
            endpoint.answerClosed()
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }

    private func route(_ request: HTTPRequestHead, context: ChannelHandlerContext) {
        let path = request.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? request.uri
        let routes: [String: HTTPMethod] = ["/v1/completions": .POST, "/v1/models": .GET, "/health": .GET, "/metrics": .GET]
        guard let method = routes[path] else {
            return reply(context, request, error: .notFound("no route for \(request.method) \(path); this server answers POST /v1/completions, GET /v1/models, GET /health, GET /metrics"))
        }
        guard request.method == method || (method == .GET && request.method == .HEAD) else {
            return reply(context, request, error: APIError(status: 405, message: "\(path) takes \(method), not \(request.method)",
                                                           type: "invalid_request_error", code: "method_not_allowed"))
        }
        switch path {
        case "/health":
            let stopping = endpoint.queue.isStopping
            let object: [String: Any] = ["status": stopping ? "stopping" : "ok", "running": endpoint.queue.runningCount,
                                         "waiting": endpoint.queue.waitingCount]
            reply(context, request, status: stopping ? 503 : 200, type: "application/json", body: Self.json(object))
        case "/v1/models":
            let model: [String: Any] = ["id": endpoint.served.name, "object": "model", "created": endpoint.served.created,
                                        "owned_by": "switchyard", "max_model_len": endpoint.served.maxModelLength,
                                        // Not OpenAI's, but a client of a server without a tokenizer needs it to make prompts.
                                        "vocab_size": endpoint.served.vocabSize]
            reply(context, request, status: 200, type: "application/json", body: Self.json(["object": "list", "data": [model]]))
        case "/metrics":
            reply(context, request, status: 200, type: "text/plain; version=0.0.4; charset=utf-8", body: Data(endpoint.metrics.exposition().utf8))
        default:
            complete(request, context: context)
        }
    }

    private func complete(_ request: HTTPRequestHead, context: ChannelHandlerContext) {
        guard !bodyTooLarge else {
            endpoint.metrics.count(.rejected)
            return reply(context, request, error: APIError(status: 413, message: "the request body is larger than \(endpoint.maxBodyBytes) bytes",
                                                           type: "invalid_request_error", code: "request_too_large"))
        }
        let parsed: CompletionRequest
        do { parsed = try CompletionRequest(body: Data(body.readableBytesView), served: endpoint.served) } catch {
            endpoint.metrics.count(.rejected)
            return reply(context, request, error: error)
        }
        serial += 1
        let serial = self.serial
        let loop = context.eventLoop
        let bound = NIOLoopBound((self, context), eventLoop: loop)
        let id: Int
        do {
            id = try endpoint.queue.submit(parsed) { event in
                loop.execute {
                    let (handler, context) = bound.value
                    handler.deliver(event, serial: serial, context: context)
                }
            }
        } catch {
            endpoint.metrics.count(.rejected)
            return reply(context, request, error: error)
        }
        endpoint.answerOpened()
        answer = Answer(serial: serial, id: id, text: CompletionText(requestID: id, model: endpoint.served.name, created: Int(Date().timeIntervalSince1970)),
                        stream: parsed.stream, includeUsage: parsed.includeUsage, keepAlive: request.isKeepAlive, version: request.version)
        if parsed.stream {
            var headers = HTTPHeaders([("content-type", "text/event-stream"), ("cache-control", "no-cache")])
            if !request.isKeepAlive { headers.add(name: "connection", value: "close") }
            context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: .ok, headers: headers))), promise: nil)
        }
    }

    /// An event from the model thread, on this connection's event loop.
    private func deliver(_ event: CompletionEvent, serial: Int, context: ChannelHandlerContext) {
        guard var answer, answer.serial == serial else { return }
        switch event {
        case let .token(token):
            if answer.stream { send(context, CompletionText.event(answer.text.chunk(token: token, index: answer.tokens.count))) }
            answer.tokens.append(token)
            self.answer = answer
        case let .finished(usage):
            self.answer = nil
            endpoint.answerClosed()
            if answer.stream {
                var events = CompletionText.event(answer.text.finishChunk())
                if answer.includeUsage { events += CompletionText.event(answer.text.usageChunk(usage)) }
                send(context, events + CompletionText.done)
                end(context, keepAlive: answer.keepAlive)
            } else {
                write(context, version: answer.version, status: 200, type: "application/json",
                      body: answer.text.completion(tokens: answer.tokens, usage: usage), keepAlive: answer.keepAlive)
            }
        case let .failed(error):
            self.answer = nil
            endpoint.answerClosed()
            if answer.stream {
                send(context, CompletionText.event(error.body) + CompletionText.done)
                end(context, keepAlive: false)
            } else {
                write(context, version: answer.version, status: error.status, type: "application/json", body: error.body, keepAlive: false)
            }
        }
    }

    private func reply(_ context: ChannelHandlerContext, _ request: HTTPRequestHead, error: APIError) {
        reply(context, request, status: error.status, type: "application/json", body: error.body)
    }

    private func reply(_ context: ChannelHandlerContext, _ request: HTTPRequestHead, status: Int, type: String, body: Data) {
        write(context, version: request.version, status: status, type: type, body: request.method == .HEAD ? Data() : body,
              keepAlive: request.isKeepAlive)
    }

    private func write(_ context: ChannelHandlerContext, version: HTTPVersion, status: Int, type: String, body: Data, keepAlive: Bool) {
        var headers = HTTPHeaders([("content-type", type), ("content-length", String(body.count))])
        if !keepAlive { headers.add(name: "connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: version, status: HTTPResponseStatus(statusCode: status), headers: headers))), promise: nil)
        if !body.isEmpty { context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil) }
        end(context, keepAlive: keepAlive)
    }

    private func send(_ context: ChannelHandlerContext, _ data: Data) {
        context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: data)))), promise: nil)
    }

    private func end(_ context: ChannelHandlerContext, keepAlive: Bool) {
        let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive { written.assumeIsolated().whenComplete { _ in context.close(promise: nil) } }
    }

    static func json(_ object: [String: Any]) -> Data {
        (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
    }
}

import Foundation
import NIOHTTP1
import NIOPosix
import Testing
@testable import SwitchyardServe

/// The HTTP side without a model: routes, errors and limits, over a real loopback socket.
@Suite struct CompletionServerTests {
    func withServer(_ body: (CompletionServer, MultiThreadedEventLoopGroup) throws -> Void) throws {
        let endpoint = CompletionEndpoint(served: ServedModel(name: "tiny", vocabSize: 512, maxModelLength: 64, created: 1),
                                          queue: ServingQueue(capacity: 0), metrics: ServingMetrics(), maxBodyBytes: 1024)
        let server = try CompletionServer(port: 0, endpoint: endpoint)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer {
            server.shutdown(grace: .zero)
            try? group.syncShutdownGracefully()
        }
        #expect(server.host == "127.0.0.1" && server.port > 0)
        try body(server, group)
    }

    func send(_ server: CompletionServer, _ group: MultiThreadedEventLoopGroup, _ method: HTTPMethod, _ path: String,
              _ body: String? = nil) throws -> (Int, [String: Any]) {
        let answer = try HTTPExchange.send(group: group, host: "127.0.0.1", port: server.port, method: method, path: path,
                                           body: body.map { Data($0.utf8) }, timeout: .seconds(10)).wait()
        return (answer.status, (try? JSONSerialization.jsonObject(with: answer.body) as? [String: Any]) ?? [:])
    }

    func error(_ object: [String: Any]) -> [String: Any] { object["error"] as? [String: Any] ?? [:] }

    @Test func routesAnswerInOpenAIsShapes() throws {
        try withServer { server, group in
            let (status, models) = try send(server, group, .GET, "/v1/models")
            #expect(status == 200)
            let first = (models["data"] as? [[String: Any]])?.first
            #expect(models["object"] as? String == "list" && first?["id"] as? String == "tiny" && first?["max_model_len"] as? Int == 64)
            let (healthStatus, health) = try send(server, group, .GET, "/health")
            #expect(healthStatus == 200 && health["status"] as? String == "ok")
            let metrics = try HTTPExchange.send(group: group, host: "127.0.0.1", port: server.port, method: .GET, path: "/metrics", body: nil,
                                                timeout: .seconds(10)).wait()
            #expect(metrics.status == 200 && String(decoding: metrics.body, as: UTF8.self).contains("switchyard_serve_requests_total"))
            let (missing, notFound) = try send(server, group, .GET, "/v2/nothing")
            #expect(missing == 404 && error(notFound)["type"] as? String == "invalid_request_error")
            let (wrongMethod, _) = try send(server, group, .GET, "/v1/completions")
            #expect(wrongMethod == 405)
        }
    }

    @Test func badAndOversizedRequestsAreRefusedBeforeTheQueue() throws {
        try withServer { server, group in
            let (bad, body) = try send(server, group, .POST, "/v1/completions", #"{"prompt": "text"}"#)
            #expect(bad == 400 && error(body)["param"] as? String == "prompt")
            let (large, _) = try send(server, group, .POST, "/v1/completions", #"{"prompt": [\#(Array(repeating: "1", count: 600).joined(separator: ","))]}"#)
            #expect(large == 413)
            // The queue holds none: a good request is refused with 503, not dropped.
            let (full, fullBody) = try send(server, group, .POST, "/v1/completions", #"{"prompt": [1], "max_tokens": 1}"#)
            #expect(full == 503 && error(fullBody)["code"] as? String == "service_unavailable")
            #expect(server.endpoint.metrics.exposition().contains(#"switchyard_serve_requests_total{outcome="rejected"} 3"#))
        }
    }

    @Test func aStoppingServerSaysSoOnHealth() throws {
        try withServer { server, group in
            server.endpoint.queue.stop()
            let (status, health) = try send(server, group, .GET, "/health")
            #expect(status == 503 && health["status"] as? String == "stopping")
        }
    }

    @Test func aTakenPortIsAnInputError() throws {
        try withServer { server, _ in
            #expect(throws: ServeInputError.self) {
                _ = try CompletionServer(port: server.port, endpoint: server.endpoint)
            }
        }
    }
}

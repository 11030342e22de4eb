import ArgumentParser
import Foundation
import SwitchyardLaunch
import SwitchyardModel
import SwitchyardServe

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve OpenAI-style completions from a cluster: POST /v1/completions, GET /v1/models, /health, /metrics.",
        discussion: """
        Starts the cluster's expert hosts like `switchyard run` (or, with --attach,
        connects to hosts already running, like `switchyard coordinator`), then
        answers HTTP on --host:--port. Prompts are token ids (an array of integers):
        no tokenizer library is available to Switchyard, so a text prompt gets a 400;
        `text` in answers spells the generated ids in decimal and `token_ids` holds
        them. max_tokens, temperature (0: greedy), top_p, seed and stream
        (server-sent events) are honoured. Requests join the running batch as they
        arrive; when --max-queue requests already wait for room, a new one gets 503.
        Ctrl-C or SIGTERM stops accepting, ends the open answers, stops the hosts and
        exits 130 or 143.

        Example: switchyard serve --cluster cluster/local-dgx-b200.json --port 8000
                 curl -s 127.0.0.1:8000/v1/completions \\
                   -H 'content-type: application/json' \\
                   -d '{"prompt": [1, 20, 300], "max_tokens": 8, "temperature": 0}'
        Defaults: cluster/local-dgx-b200.json, --model mini, 127.0.0.1:8000, batches of
        up to 8, a queue of 64.
        """
    )

    @OptionGroup var cluster: ClusterOptions
    @OptionGroup var weights: WeightsOptions
    @Option(help: "Address to listen on; anything but loopback exposes the endpoint to the network.") var host = "127.0.0.1"
    @Option(help: "Port to listen on (0: any free port, printed at start).") var port = 8000
    @Option(help: "Sequences stepped together; waiting requests join as others finish.") var maxBatch = 8
    @Option(help: "Requests that may wait for room in the batch; more get 503.") var maxQueue = 64
    @Option(help: "The name clients pass as `model`. Default: the preset, or the checkpoint folder's name.") var servedModelName: String?
    @Flag(help: "Connect to expert hosts already running (ZeroMQ) instead of starting them.") var attach = false
    @Flag(help: "With --attach: leave the hosts running when the server stops.") var keepHosts = false

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be in 0...65535, got \(port)") }
        guard (1...4096).contains(maxBatch) else { throw ValidationError("--max-batch must be in 1...4096, got \(maxBatch)") }
        if let limit = cluster.maxStepTokens, limit < maxBatch {
            throw ValidationError("--max-step-tokens \(limit) is below --max-batch \(maxBatch): every running sequence needs a token in each step")
        }
        guard (0...100_000).contains(maxQueue) else { throw ValidationError("--max-queue must be in 0...100000, got \(maxQueue)") }
        if keepHosts, !attach { throw ValidationError("--keep-hosts goes with --attach: hosts this command starts are its own to stop") }
        if let servedModelName, servedModelName.isEmpty { throw ValidationError("--served-model-name must not be empty") }
    }

    func run() throws {
        let settings = try cluster.settings()
        let choice = weights.choice
        let (config, source) = try choice.load()
        let model = Mistral4Model(weights: try Mistral4Weights(config: config, source: source))
        SignalGuard.shared.install()
        let coordinator: CoordinatorCluster
        if attach {
            guard settings.transport == .zmq else {
                throw LaunchInputError("--attach connects over ZeroMQ; \(settings.spec.file) uses \(settings.transport.rawValue)")
            }
            coordinator = try CoordinatorCluster.connect(settings, config: config, source: source)
            do { try coordinator.experts.handshake(timeout: settings.handshakeTimeout) } catch {
                // Hosts that refused, or never answered, are not ours to stop.
                coordinator.disconnectOnly()
                throw error
            }
        } else {
            coordinator = try CoordinatorCluster.launch(settings, weights: choice, config: config, source: source)
        }
        let stopHosts = { attach && keepHosts ? coordinator.disconnectOnly() : coordinator.stop() }

        let queue = ServingQueue(capacity: maxQueue)
        let metrics = ServingMetrics()
        let served = ServedModel(name: servedModelName ?? Self.defaultName(choice), config: config,
                                 maxStepTokens: settings.wireLimits(config).maxTokens, created: Int(Date().timeIntervalSince1970))
        let server: CompletionServer
        do { server = try CompletionServer(host: host, port: port, endpoint: CompletionEndpoint(served: served, queue: queue, metrics: metrics)) } catch {
            stopHosts()
            throw error
        }
        // On a signal: stop accepting and end what is open; this thread then stops the hosts, and
        // the guard exits 128 + the signal once it has.
        let stopped = DispatchSemaphore(value: 0)
        SignalGuard.shared.onSignal { _ in
            server.stopAccepting()
            queue.stop()
            _ = stopped.wait(timeout: .now() + 20)
        }
        print("switchyard serve: \(served.name) at \(server.url)/v1 (\(settings.spec.hosts.count) expert hosts over \(settings.transport.rawValue), batches of up to \(maxBatch), queue of \(maxQueue))")
        fflush(nil)

        let loop = ServingLoop(model: model, experts: coordinator.experts, queue: queue, maxBatch: maxBatch,
                               maxStepTokens: served.maxStepTokens, metrics: metrics)
        var failure: Error?
        do { try loop.run() } catch { failure = error }
        queue.stop()
        server.shutdown()
        stopHosts()
        stopped.signal()
        if SignalGuard.shared.signalled != nil {
            // The signal's handler exits with 128 + the signal now that the hosts are stopped.
            SignalGuard.shared.yieldToSignal(within: .seconds(1))
        }
        if let failure { throw failure }
    }

    static func defaultName(_ choice: WeightChoice) -> String {
        switch choice {
        case let .checkpoint(path): URL(fileURLWithPath: path).standardizedFileURL.lastPathComponent
        case let .synthetic(model, _, _, _): model.hasSuffix(".json") ? URL(fileURLWithPath: model).deletingLastPathComponent().lastPathComponent : model
        }
    }
}
